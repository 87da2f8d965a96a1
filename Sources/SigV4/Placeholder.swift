// SigV4: placeholder until the module lands.
