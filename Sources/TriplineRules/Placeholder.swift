// TriplineRules: placeholder until the module lands.
