import Foundation
import TriplineLambda

// The custom-runtime bootstrap. Everything lives in TriplineLambda/TriplineService so it can be tested.
let started = ContinuousClock.now
exit(await LambdaMain.run(mainStarted: started))
