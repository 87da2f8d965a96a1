// TriplineJSON: placeholder until the module lands.
