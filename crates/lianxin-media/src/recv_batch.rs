//! Reading a session's RTP socket from the pacing thread: one `recvmmsg(2)` call per socket
//! and 20 ms tick returns every datagram waiting, each with the kernel's arrival time.
//!
//! # Why not a task per socket
//! A tokio task per session meant, for every packet, an epoll wake-up, a task switch, a
//! `recvfrom`, a heap copy and a channel send to the pacing thread, which only looks at
//! received packets once per tick anyway. With 800 notice calls echoing audio that was
//! 40,000 wake-ups a second and about 40 % of the server's CPU. The pacing thread now reads
//! every socket itself right before the tick that consumes the packets: one system call per
//! session and tick, no wake-ups, no copies, no channel.
//!
//! # Why kernel timestamps
//! Reading once per tick would quantize arrival times to 20 ms and make the RFC 3550 jitter
//! figure meaningless; `SO_TIMESTAMPNS` gives each datagram the time the kernel received
//! it, which the pacing thread converts to an [`Instant`](std::time::Instant).
//!
//! # Bounds
//! At most [`BATCH`] datagrams per call and [`MAX_CALLS_PER_TICK`] calls per socket and tick:
//! a flood at one port costs that session a bounded amount of work per tick and the rest
//! stay in (and are dropped by) that socket's kernel buffer, so one hostile source cannot
//! starve the other sessions.
//!
//! This is the crate's only `unsafe` besides the scheduler call in the worker: the
//! `recvmmsg` buffers are plain arrays owned by [`RecvBatch`], described to the kernel by
//! pointers built fresh for each call.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::AsRawFd;
use std::time::{Duration, SystemTime};

/// Datagrams read by one `recvmmsg` call.
pub(crate) const BATCH: usize = 8;
/// `recvmmsg` calls per socket and tick (so at most 32 datagrams per session and tick).
pub(crate) const MAX_CALLS_PER_TICK: usize = 4;
/// Largest datagram kept; longer ones are reported truncated and dropped.
const DATAGRAM_MAX: usize = 2048;
/// Room for one `SCM_TIMESTAMPNS` control message (and alignment for it).
const CONTROL_WORDS: usize = 8;

/// One datagram read.
pub(crate) struct Datagram<'a> {
    /// The payload.
    pub(crate) data: &'a [u8],
    /// Who sent it.
    pub(crate) from: SocketAddr,
    /// When the kernel received it (wall clock), if the socket reported it.
    pub(crate) at: Option<SystemTime>,
}

/// Buffers for one `recvmmsg` call, reused for every socket.
pub(crate) struct RecvBatch {
    data: Box<[[u8; DATAGRAM_MAX]; BATCH]>,
    names: [libc::sockaddr_storage; BATCH],
    control: [[u64; CONTROL_WORDS]; BATCH],
    /// Per slot: payload length, address length, whether the payload was truncated, and
    /// the timestamp found.
    got: [(usize, libc::socklen_t, bool, Option<SystemTime>); BATCH],
    count: usize,
}

impl RecvBatch {
    pub(crate) fn new() -> RecvBatch {
        RecvBatch {
            data: Box::new([[0u8; DATAGRAM_MAX]; BATCH]),
            // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
            names: unsafe { zeroed() },
            control: [[0u64; CONTROL_WORDS]; BATCH],
            got: [(0, 0, false, None); BATCH],
            count: 0,
        }
    }

    /// Reads what is waiting on `socket` (non-blocking) into the buffers, replacing the
    /// previous batch. `Ok(0)` when nothing is waiting.
    pub(crate) fn read(&mut self, socket: &UdpSocket) -> io::Result<usize> {
        self.count = 0;
        let mut iov: [libc::iovec; BATCH] = std::array::from_fn(|i| libc::iovec {
            iov_base: self.data[i].as_mut_ptr().cast(),
            iov_len: DATAGRAM_MAX,
        });
        // SAFETY: mmsghdr is plain old data; all-zero is a valid (empty) value.
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        for (i, m) in msgs.iter_mut().enumerate() {
            m.msg_hdr.msg_name = (&mut self.names[i] as *mut libc::sockaddr_storage).cast();
            m.msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            m.msg_hdr.msg_iov = &mut iov[i];
            m.msg_hdr.msg_iovlen = 1;
            m.msg_hdr.msg_control = self.control[i].as_mut_ptr().cast();
            m.msg_hdr.msg_controllen = size_of::<[u64; CONTROL_WORDS]>() as _;
        }
        // SAFETY: every pointer in `msgs` points into buffers owned by `self` or `iov`,
        // which outlive the call, with the lengths given; the kernel writes at most
        // those lengths.
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                msgs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let err = io::Error::last_os_error();
            return match err.kind() {
                io::ErrorKind::WouldBlock => Ok(0),
                _ => Err(err),
            };
        }
        let n = (n as usize).min(BATCH);
        for (i, m) in msgs.iter().enumerate().take(n) {
            let truncated = m.msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
            self.got[i] = (
                (m.msg_len as usize).min(DATAGRAM_MAX),
                m.msg_hdr.msg_namelen,
                truncated,
                timestamp(&m.msg_hdr),
            );
        }
        self.count = n;
        Ok(n)
    }

    /// The datagrams of the last [`read`](Self::read); truncated ones and ones from an
    /// address family other than IPv4/IPv6 are left out.
    pub(crate) fn datagrams(&self) -> impl Iterator<Item = Datagram<'_>> {
        (0..self.count).filter_map(move |i| {
            let (len, namelen, truncated, at) = self.got[i];
            if truncated {
                return None;
            }
            let from = socket_addr(&self.names[i], namelen)?;
            Some(Datagram {
                data: &self.data[i][..len],
                from,
                at,
            })
        })
    }
}

/// Asks the kernel to stamp every datagram received on `socket` (`SO_TIMESTAMPNS`).
pub(crate) fn enable_timestamps(socket: &UdpSocket) -> io::Result<()> {
    let on: libc::c_int = 1;
    // SAFETY: a valid fd, a pointer to a c_int with its size.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&on as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The `SCM_TIMESTAMPNS` control message of a received datagram, if any.
fn timestamp(hdr: &libc::msghdr) -> Option<SystemTime> {
    // SAFETY: `hdr` was filled by recvmmsg; its control pointer and (updated) length
    // describe our own buffer, and CMSG_FIRSTHDR/CMSG_NXTHDR stay within it.
    unsafe {
        let mut cmsg = libc::CMSG_FIRSTHDR(hdr);
        while !cmsg.is_null() {
            let c = &*cmsg;
            if c.cmsg_level == libc::SOL_SOCKET && c.cmsg_type == libc::SCM_TIMESTAMPNS {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast());
                let secs = u64::try_from(ts.tv_sec).ok()?;
                let nanos = u32::try_from(ts.tv_nsec).ok()?;
                return SystemTime::UNIX_EPOCH.checked_add(Duration::new(secs, nanos));
            }
            cmsg = libc::CMSG_NXTHDR(hdr, cmsg);
        }
    }
    None
}

/// The sender's address as the kernel wrote it.
fn socket_addr(storage: &libc::sockaddr_storage, len: libc::socklen_t) -> Option<SocketAddr> {
    let len = len as usize;
    match i32::from(storage.ss_family) {
        libc::AF_INET if len >= size_of::<libc::sockaddr_in>() => {
            // SAFETY: the family says the storage holds a sockaddr_in, and it is long enough.
            let sin =
                unsafe { &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 if len >= size_of::<libc::sockaddr_in6>() => {
            // SAFETY: the family says the storage holds a sockaddr_in6, and it is long enough.
            let sin6 = unsafe {
                &*(storage as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>()
            };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::disallowed_methods)] // the test compares kernel stamps with the clock
    use super::*;

    fn pair() -> (UdpSocket, UdpSocket) {
        let rx = UdpSocket::bind("127.0.0.1:0").expect("bind");
        rx.set_nonblocking(true).expect("nonblocking");
        let tx = UdpSocket::bind("127.0.0.1:0").expect("bind");
        (rx, tx)
    }

    #[test]
    fn nothing_waiting_reads_zero() {
        let (rx, _) = pair();
        let mut b = RecvBatch::new();
        assert_eq!(b.read(&rx).expect("read"), 0);
        assert_eq!(b.datagrams().count(), 0);
    }

    #[test]
    fn reads_every_waiting_datagram_with_sender_and_kernel_time() {
        let (rx, tx) = pair();
        enable_timestamps(&rx).expect("timestamps");
        let before = SystemTime::now();
        for i in 0..3u8 {
            tx.send_to(&[i; 172], rx.local_addr().expect("addr"))
                .expect("send");
        }
        std::thread::sleep(Duration::from_millis(20));
        let mut b = RecvBatch::new();
        assert_eq!(b.read(&rx).expect("read"), 3);
        let got: Vec<_> = b.datagrams().collect();
        assert_eq!(got.len(), 3);
        for (i, d) in got.iter().enumerate() {
            assert_eq!(d.data, &[i as u8; 172][..]);
            assert_eq!(d.from, tx.local_addr().expect("addr"));
            let at = d.at.expect("kernel timestamp");
            assert!(
                at >= before - Duration::from_millis(5),
                "stamp before the send"
            );
            assert!(at <= SystemTime::now(), "stamp in the future");
        }
        assert_eq!(
            b.read(&rx).expect("read"),
            0,
            "the batch drained the socket"
        );
    }

    #[test]
    fn at_most_one_batch_per_call_and_the_rest_stays_queued() {
        let (rx, tx) = pair();
        for i in 0..(BATCH as u8 + 3) {
            tx.send_to(&[i], rx.local_addr().expect("addr"))
                .expect("send");
        }
        std::thread::sleep(Duration::from_millis(20));
        let mut b = RecvBatch::new();
        assert_eq!(b.read(&rx).expect("read"), BATCH);
        assert!(
            b.datagrams().all(|d| d.at.is_none()),
            "no stamps unless enabled"
        );
        assert_eq!(b.read(&rx).expect("read"), 3);
        let last: Vec<u8> = b.datagrams().map(|d| d.data[0]).collect();
        assert_eq!(last, vec![BATCH as u8, BATCH as u8 + 1, BATCH as u8 + 2]);
    }

    #[test]
    fn oversized_datagrams_are_dropped_not_cut() {
        let (rx, tx) = pair();
        tx.send_to(&[7u8; DATAGRAM_MAX + 100], rx.local_addr().expect("addr"))
            .expect("send");
        tx.send_to(&[8u8; 10], rx.local_addr().expect("addr"))
            .expect("send");
        std::thread::sleep(Duration::from_millis(20));
        let mut b = RecvBatch::new();
        assert_eq!(b.read(&rx).expect("read"), 2);
        let kept: Vec<_> = b.datagrams().map(|d| d.data.len()).collect();
        assert_eq!(kept, vec![10]);
    }
}
