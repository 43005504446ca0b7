//! IPv4 CIDR blocks, parsed the one way both the input checks and the subnet carving read them.

use std::net::Ipv4Addr;

/// `10.0.0.0/16` -> (10.0.0.0, 16); `None` unless it is an IPv4 address and a prefix length up to 32.
pub fn parse(s: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, len) = s.split_once('/')?;
    let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
    Some((addr.parse().ok()?, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_address_and_length_and_refuses_anything_else() {
        assert_eq!(parse("10.1.0.0/16"), Some((Ipv4Addr::new(10, 1, 0, 0), 16)));
        for bad in [
            "10.0.0.0",
            "10.0.0.0/33",
            "10.0.0/16",
            "::1/64",
            "10.0.0.0/x",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
