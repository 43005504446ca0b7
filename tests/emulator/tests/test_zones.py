"""Local Zones: an opted-in one is listed beside the Availability Zones, sorts first, and is
left out by a zone-type filter."""


def names(out):
    return [z["ZoneName"] for z in out["AvailabilityZones"]]


def test_an_opted_in_local_zone_is_listed_and_sorts_first(aws):
    ec2 = aws("ec2")
    out = ec2.describe_availability_zones()
    local = [z for z in out["AvailabilityZones"] if z["ZoneType"] == "local-zone"]
    assert [z["ZoneName"] for z in local] == ["us-east-1-bos-1a"]
    assert local[0]["OptInStatus"] == "opted-in" and local[0]["ParentZoneName"] == "us-east-1a"
    assert sorted(names(out))[0] == "us-east-1-bos-1a"
    plain = ec2.describe_availability_zones(Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}])
    assert "us-east-1-bos-1a" not in names(plain) and "us-east-1a" in names(plain)
    by_name = ec2.describe_availability_zones(ZoneNames=["us-east-1b"])
    assert names(by_name) == ["us-east-1b"]


def test_other_regions_have_none(aws):
    out = aws("ec2", region="eu-west-1").describe_availability_zones()
    assert all(z["ZoneType"] == "availability-zone" for z in out["AvailabilityZones"])
