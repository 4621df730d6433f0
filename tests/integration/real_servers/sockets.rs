//! What sockets a process holds, from /proc: each of its descriptors that is a socket, found by
//! inode in /proc/PID/net/{tcp,tcp6,udp,udp6,raw,raw6}. A socket that leaves the machine is one
//! whose local or remote address is outside 127.0.0.0/8 and ::1 (an unconnected remote,
//! 0.0.0.0:0, is no address).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One inet socket of a process.
#[derive(Debug)]
pub struct Socket {
    pub table: &'static str,
    pub local: (IpAddr, u16),
    pub remote: (IpAddr, u16),
}

impl Socket {
    /// Bound or connected beyond loopback.
    pub fn leaves_loopback(&self) -> bool {
        let unconnected = self.remote.0.is_unspecified() && self.remote.1 == 0;
        !is_loopback(self.local.0) || !(unconnected || is_loopback(self.remote.0))
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

/// `0100007F:1F90` (little-endian words, as the kernel prints them).
fn parse_address(text: &str) -> Option<(IpAddr, u16)> {
    let (ip, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let ip = match ip.len() {
        8 => IpAddr::V4(Ipv4Addr::from(
            u32::from_str_radix(ip, 16).ok()?.swap_bytes(),
        )),
        32 => {
            let mut bytes = [0u8; 16];
            for word in 0..4 {
                let value = u32::from_str_radix(&ip[word * 8..word * 8 + 8], 16).ok()?;
                bytes[word * 4..word * 4 + 4].copy_from_slice(&value.to_le_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some((ip, port))
}

/// The inodes of `pid`'s socket descriptors.
fn socket_inodes(pid: u32) -> HashSet<u64> {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return HashSet::new();
    };
    fds.filter_map(Result::ok)
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter_map(|target| {
            let target = target.to_string_lossy().into_owned();
            target
                .strip_prefix("socket:[")
                .and_then(|rest| rest.strip_suffix(']'))
                .and_then(|inode| inode.parse().ok())
        })
        .collect()
}

/// Every inet socket `pid` holds now (its threads share the descriptor table).
pub fn inet_sockets(pid: u32) -> Vec<Socket> {
    let inodes = socket_inodes(pid);
    let mut found = Vec::new();
    for table in ["tcp", "tcp6", "udp", "udp6", "raw", "raw6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(inode)) =
                (fields.get(1), fields.get(2), fields.get(9))
            else {
                continue;
            };
            let Ok(inode) = inode.parse::<u64>() else {
                continue;
            };
            if !inodes.contains(&inode) {
                continue;
            }
            if let (Some(local), Some(remote)) = (parse_address(local), parse_address(remote)) {
                found.push(Socket {
                    table,
                    local,
                    remote,
                });
            }
        }
    }
    found
}

/// The sockets of `pids` that leave loopback, described; empty when none does.
pub fn beyond_loopback(pids: &[(String, u32)]) -> Vec<String> {
    pids.iter()
        .flat_map(|(name, pid)| {
            inet_sockets(*pid)
                .into_iter()
                .filter(Socket::leaves_loopback)
                .map(move |s| {
                    format!(
                        "{name} (pid {pid}) {}: {}:{} -> {}:{}",
                        s.table, s.local.0, s.local.1, s.remote.0, s.remote.1
                    )
                })
        })
        .collect()
}

#[test]
fn addresses_are_read_as_the_kernel_writes_them() {
    assert_eq!(
        parse_address("0100007F:1F90"),
        Some((IpAddr::V4(Ipv4Addr::LOCALHOST), 8080))
    );
    assert_eq!(
        parse_address("00000000000000000000000001000000:0050"),
        Some((IpAddr::V6(Ipv6Addr::LOCALHOST), 80))
    );
    let mapped = parse_address("0000000000000000FFFF00000100007F:0050").unwrap();
    assert!(is_loopback(mapped.0), "{mapped:?}");
    let outside = Socket {
        table: "tcp",
        local: (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 9096),
        remote: (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
    };
    assert!(
        outside.leaves_loopback(),
        "a listener on 0.0.0.0 is reachable from outside"
    );
    let dialled = Socket {
        table: "tcp",
        local: (IpAddr::V4(Ipv4Addr::LOCALHOST), 40000),
        remote: (IpAddr::V4(Ipv4Addr::new(104, 131, 131, 82)), 4001),
    };
    assert!(dialled.leaves_loopback());
    let listening = Socket {
        table: "tcp",
        local: (IpAddr::V4(Ipv4Addr::LOCALHOST), 5001),
        remote: (IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0),
    };
    assert!(!listening.leaves_loopback());
}

#[test]
fn this_test_process_sockets_are_found() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sockets = inet_sockets(std::process::id());
    assert!(
        sockets
            .iter()
            .any(|s| s.local.1 == port && !s.leaves_loopback()),
        "{sockets:?}"
    );
}
