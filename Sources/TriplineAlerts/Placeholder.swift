// TriplineAlerts: placeholder until the module lands.
