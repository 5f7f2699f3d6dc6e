print("pnyx-audit: not yet")
