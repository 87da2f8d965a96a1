// TriplineService: placeholder until the module lands.
