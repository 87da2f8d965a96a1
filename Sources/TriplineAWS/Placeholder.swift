// TriplineAWS: placeholder until the module lands.
