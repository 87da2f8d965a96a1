print("tripline-lambda")
