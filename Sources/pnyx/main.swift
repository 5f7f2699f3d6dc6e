print("pnyx: nothing to run yet")
