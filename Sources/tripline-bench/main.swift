print("tripline-bench")
