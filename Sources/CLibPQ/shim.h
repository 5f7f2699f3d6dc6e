#ifndef PNYX_CLIBPQ_SHIM_H
#define PNYX_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
