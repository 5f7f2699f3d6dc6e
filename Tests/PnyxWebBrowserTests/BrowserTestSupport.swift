@_exported import PnyxTestSupport
import Testing

// The world (broker, service with the pages, PostgreSQL) is `WebWorld` in PnyxTestSupport.

/// Every suite that drives Chromium, one after another: one browser at a time on a loaded
/// machine instead of four (each suite starts its own chromedriver and stops it).
@Suite("PnyxWeb in a real headless Chromium", .serialized)
enum ChromiumSuites {}
