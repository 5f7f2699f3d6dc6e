// The world (broker, service with the pages, PostgreSQL) is `WebWorld` in PnyxTestSupport,
// shared with the browser tests.
@_exported import PnyxTestSupport
