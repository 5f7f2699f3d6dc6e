#ifndef PNYX_CSODIUM_SHIM_H
#define PNYX_CSODIUM_SHIM_H
#include <sodium.h>
#endif
