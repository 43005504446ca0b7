"""Local Zones. An account that opted in to a Local Zone sees it in DescribeAvailabilityZones
next to the region's Availability Zones (ZoneType local-zone; it sorts first, e.g.
us-east-1-bos-1a before us-east-1a), and it offers only a few instance types. moto lists
Availability Zones only, so code that takes "the region's first zones" without filtering on
zone-type passes here and lands in a Local Zone on AWS. Every us-east-1 account of the
emulator has opted in to Boston's."""
from moto.ec2.models.availability_zones_and_regions import Zone
from moto.ec2.responses.availability_zones_and_regions import AvailabilityZonesAndRegions
from moto.utilities.utils import filter_resources

LOCAL_ZONES = {
    "us-east-1": [("us-east-1-bos-1a", "use1-bos1-az1", "us-east-1-bos-1", "us-east-1a")],
}
_ATTRS = (("zone-id", "zone_id"), ("zone-type", "zone_type"), ("zone-name", "name"),
          ("region-name", "region_name"), ("state", "state"), ("group-name", "group_name"),
          ("opt-in-status", "opt_in_status"))


def local_zones(region):
    zones = []
    for name, zone_id, group, parent in LOCAL_ZONES.get(region, []):
        z = Zone(name, region, zone_id, zone_type="local-zone")
        z.zone_name, z.opt_in_status, z.group_name = name, "opted-in", group
        z.network_border_group, z.parent_zone_name = group, parent
        zones.append(z)
    return zones


_orig = AvailabilityZonesAndRegions.describe_availability_zones


def describe_availability_zones(self):
    result = _orig(self)
    extra = local_zones(self.region)
    filters = self._filters_from_querystring()
    if filters:
        extra = filter_resources(extra, filters, _ATTRS)
    names, ids = self._get_param("ZoneNames", []), self._get_param("ZoneIds", [])
    extra = [z for z in extra if (not names or z.name in names) and (not ids or z.zone_id in ids)]
    # moto's own zones carry no opt-in status; AWS says opt-in-not-required for them.
    for z in result.result["AvailabilityZones"]:
        if not hasattr(z, "opt_in_status"):
            z.opt_in_status, z.group_name, z.network_border_group = "opt-in-not-required", z.region_name, z.region_name
    result.result["AvailabilityZones"] = list(result.result["AvailabilityZones"]) + extra
    return result


AvailabilityZonesAndRegions.describe_availability_zones = describe_availability_zones
