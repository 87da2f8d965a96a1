// TriplineCore: placeholder until the module lands.
