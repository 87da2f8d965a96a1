// TriplineSynth: placeholder until the module lands.
