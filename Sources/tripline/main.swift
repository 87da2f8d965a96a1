print("tripline")
