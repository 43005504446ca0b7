"""CloudTrail correction: DeleteTrail by ARN (moto only matched names and then
silently did nothing, leaking the trail); a missing trail is TrailNotFoundException."""
from moto.cloudtrail import models as ct_models


def delete_trail(self, name):
    trail = self.get_trail(name)  # accepts a name or an ARN, raises if missing
    for key, value in list(self.trails.items()):
        if value is trail:
            del self.trails[key]


ct_models.CloudTrailBackend.delete_trail = delete_trail
