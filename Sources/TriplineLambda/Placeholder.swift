// TriplineLambda: placeholder until the module lands.
