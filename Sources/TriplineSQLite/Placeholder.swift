// TriplineSQLite: placeholder until the module lands.
