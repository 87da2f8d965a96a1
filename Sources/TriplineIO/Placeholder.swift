// TriplineIO: placeholder until the module lands.
