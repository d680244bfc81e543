//! Linux batched UDP: up to `UDP_BATCH_SIZE` datagrams read with one `recvmmsg` and answers written
//! with one `sendmmsg`, as NSD and Knot do. Raw system calls, so unsafe; it never parses DNS.

use std::io;
use std::mem;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::ops::Range;
use std::os::fd::{AsRawFd, RawFd};
use std::ptr;

use socket2::SockAddr;
use tokio::time::{timeout_at, Instant};

use super::udp_socket::{ListenSocket, Read};
use crate::limits::{MAX_MESSAGE_SIZE, UDP_BATCH_SIZE, UDP_SEND_WAIT};

/// The answer bytes a send batch keeps between batches; more is given back after a batch.
const SEND_BYTES_KEPT: usize = 64 * 1024;

/// One datagram taken out of a `ReceiveBatch`: its buffer (to give back once answered), its
/// length and its source.
pub(super) struct Datagram {
    pub buffer: Vec<u8>,
    pub length: usize,
    pub client: SocketAddr,
}

/// The receive side: one buffer per datagram of a batch, kept from batch to batch (no allocation
/// per query). A buffer taken by a request still pending after its first poll is replaced by a
/// new one before the next read.
pub(super) struct ReceiveBatch {
    buffers: [Vec<u8>; UDP_BATCH_SIZE],
    sources: [libc::sockaddr_storage; UDP_BATCH_SIZE],
    lengths: [usize; UDP_BATCH_SIZE],
    /// False for a datagram the kernel cut (MSG_TRUNC): it is dropped, not answered.
    whole: [bool; UDP_BATCH_SIZE],
    received: usize,
}

impl ReceiveBatch {
    pub fn new() -> ReceiveBatch {
        ReceiveBatch {
            buffers: std::array::from_fn(|_| Vec::new()),
            // SAFETY: all-zero bytes are a valid sockaddr_storage (family AF_UNSPEC).
            sources: unsafe { mem::zeroed() },
            lengths: [0; UDP_BATCH_SIZE],
            whole: [false; UDP_BATCH_SIZE],
            received: 0,
        }
    }

    /// Waits until the socket is readable, then reads every datagram waiting, up to a batch.
    /// Returns how many were read (at least one).
    ///
    /// A batch shorter than `UDP_BATCH_SIZE` emptied the queue, so the socket's readiness is
    /// cleared there and then: without that, the next call would spend one `recvmmsg` to learn
    /// EAGAIN (one system call per wake-up, as many as datagrams at low load). A datagram that
    /// arrives meanwhile is not lost: epoll is edge-triggered and tokio clears readiness only if
    /// no event came since it was read (its readiness tick), so the socket is readable again.
    pub async fn receive(&mut self, socket: &ListenSocket) -> io::Result<usize> {
        self.received = 0;
        let descriptor = socket.as_raw_fd();
        // A socket that is always readable must still let other tasks run.
        tokio::task::coop::consume_budget().await;
        socket
            .read(|_| {
                let count = self.receive_now(descriptor)?;
                Ok(if count < UDP_BATCH_SIZE {
                    Read::Drained(count)
                } else {
                    Read::More(count)
                })
            })
            .await
    }

    /// Reads every datagram waiting, up to a batch, without waiting for one: WouldBlock when
    /// there is none. Returns how many were read.
    pub fn receive_now(&mut self, descriptor: RawFd) -> io::Result<usize> {
        self.received = 0;
        let count = self.read_waiting(descriptor)?;
        self.received = count;
        Ok(count)
    }

    fn read_waiting(&mut self, descriptor: RawFd) -> io::Result<usize> {
        // The kernel writes into each buffer's spare capacity; a buffer replaced because its
        // request went on as a task is allocated, not zeroed: zeroing 64 KiB per cache miss was
        // 40 % of the resolver's instructions on a cold walk, and it evicted the CPU caches.
        for buffer in &mut self.buffers {
            buffer.clear();
            if buffer.capacity() < MAX_MESSAGE_SIZE {
                *buffer = Vec::with_capacity(MAX_MESSAGE_SIZE);
            }
        }
        let mut iovecs = [libc::iovec {
            iov_base: ptr::null_mut(),
            iov_len: 0,
        }; UDP_BATCH_SIZE];
        for (iovec, buffer) in iovecs.iter_mut().zip(self.buffers.iter_mut()) {
            let spare = buffer.spare_capacity_mut();
            iovec.iov_base = spare.as_mut_ptr().cast();
            iovec.iov_len = spare.len();
        }
        // SAFETY: all-zero bytes are a valid mmsghdr (null pointers, zero lengths).
        let mut messages: [libc::mmsghdr; UDP_BATCH_SIZE] = unsafe { mem::zeroed() };
        for ((message, iovec), source) in messages
            .iter_mut()
            .zip(iovecs.iter_mut())
            .zip(self.sources.iter_mut())
        {
            message.msg_hdr.msg_name = ptr::from_mut(source).cast();
            message.msg_hdr.msg_namelen = socket_address_capacity();
            message.msg_hdr.msg_iov = iovec;
            message.msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: each message points at one iovec and one sockaddr_storage of this frame or of
        // `self`, each iovec at a live buffer of `iov_len` bytes; nothing else touches them during
        // the call, and the kernel writes at most the lengths given.
        let count = unsafe {
            libc::recvmmsg(
                descriptor,
                messages.as_mut_ptr(),
                UDP_BATCH_SIZE as libc::c_uint,
                libc::MSG_DONTWAIT,
                ptr::null_mut(),
            )
        };
        let Ok(count) = usize::try_from(count) else {
            return Err(io::Error::last_os_error());
        };
        for (((message, length), whole), buffer) in messages
            .iter()
            .zip(self.lengths.iter_mut())
            .zip(self.whole.iter_mut())
            .zip(self.buffers.iter_mut())
            .take(count)
        {
            *length = (message.msg_len as usize).min(buffer.capacity());
            *whole = message.msg_hdr.msg_flags & libc::MSG_TRUNC == 0;
            // SAFETY: the kernel wrote `msg_len` bytes (the bytes copied, at most `iov_len`, the
            // spare capacity) at the start of this buffer, whose length was 0.
            unsafe { buffer.set_len(*length) };
        }
        Ok(count.min(UDP_BATCH_SIZE))
    }

    /// Takes datagram `index` of the last batch out, with its buffer; `None` for one cut by the
    /// kernel, from an unknown address family, or beyond the batch.
    pub fn take(&mut self, index: usize) -> Option<Datagram> {
        if index >= self.received || !*self.whole.get(index)? {
            return None;
        }
        let client = socket_address(self.sources.get(index)?)?;
        let length = *self.lengths.get(index)?;
        let buffer = mem::take(self.buffers.get_mut(index)?);
        Some(Datagram {
            buffer,
            length,
            client,
        })
    }

    /// Returns a buffer taken with `take`, so the next batch reads into it again.
    pub fn give_back(&mut self, index: usize, buffer: Vec<u8>) {
        if let Some(slot) = self.buffers.get_mut(index) {
            *slot = buffer;
        }
    }
}

/// The send side: answers of one batch, written with as few `sendmmsg` calls as the kernel allows.
pub(super) struct SendBatch {
    /// Each answer's client and its bytes' place in `bytes`.
    answers: Vec<(SockAddr, Range<usize>)>,
    /// The answers' bytes, one after the other. Copied in as each answer is pushed, so each
    /// answer's own allocation is freed before the next request allocates one: with glibc the
    /// same block then serves every request of a batch (freeing a batch's worth together
    /// overflowed the allocator's per-thread cache).
    bytes: Vec<u8>,
    /// The first answer not sent yet.
    next: usize,
}

impl SendBatch {
    pub fn new() -> SendBatch {
        SendBatch {
            answers: Vec::with_capacity(UDP_BATCH_SIZE),
            bytes: Vec::new(),
            next: 0,
        }
    }

    pub fn push(&mut self, client: SocketAddr, response: Vec<u8>) {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(&response);
        drop(response);
        self.answers
            .push((SockAddr::from(client), start..self.bytes.len()));
    }

    /// Sends every answer queued, waiting for room in the socket's send buffer on the event loop.
    /// One the kernel refuses (too large, unreachable) is dropped and the rest still go; if the
    /// socket stays full past `UDP_SEND_WAIT`, the rest are dropped.
    pub async fn send(&mut self, socket: &ListenSocket) {
        let descriptor = socket.as_raw_fd();
        // Set when the socket first refuses: a batch the kernel takes at once never reads the clock.
        let mut deadline = None;
        while self.send_until_full(descriptor) {
            let deadline = *deadline.get_or_insert_with(|| Instant::now() + UDP_SEND_WAIT);
            if !matches!(timeout_at(deadline, socket.writable()).await, Ok(Ok(()))) {
                self.drop_rest();
            }
        }
        self.clear();
    }

    /// As `send`, for a thread without an event loop: it sleeps in poll(2) while the socket is full.
    pub fn send_blocking(&mut self, descriptor: RawFd) {
        let mut deadline = None;
        while self.send_until_full(descriptor) {
            let deadline =
                *deadline.get_or_insert_with(|| std::time::Instant::now() + UDP_SEND_WAIT);
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            let mut waiting = [libc::pollfd {
                fd: descriptor,
                events: libc::POLLOUT,
                revents: 0,
            }];
            // A wait that ends early (a signal) or late just leads to another try.
            if left.is_zero() || wait_ready(&mut waiting, Some(left)).is_err() {
                self.drop_rest();
            }
        }
        self.clear();
    }

    /// Sends answers from the first unsent one on. True when the socket's buffer is full with
    /// answers still to send; false once every answer is sent or dropped.
    fn send_until_full(&mut self, descriptor: RawFd) -> bool {
        // Each turn sends at least one answer or skips one, or returns.
        while let Some(waiting) = self
            .answers
            .get(self.next..)
            .filter(|rest| !rest.is_empty())
        {
            match send_now(descriptor, waiting, &self.bytes) {
                Ok(sent) => self.next += sent.max(1),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return true,
                Err(error) => {
                    // sendmmsg reports an error only for the first message it could not send.
                    let client = waiting.first().and_then(|(address, _)| address.as_socket());
                    tracing::debug!(?client, %error, "UDP send failed");
                    self.next += 1;
                }
            }
        }
        false
    }

    fn drop_rest(&mut self) {
        tracing::debug!(
            dropped = self.answers.len().saturating_sub(self.next),
            "UDP send buffer full, answers dropped"
        );
        self.next = self.answers.len();
    }

    fn clear(&mut self) {
        self.answers.clear();
        self.bytes.clear();
        // A batch of large answers does not keep its memory for good.
        if self.bytes.capacity() > SEND_BYTES_KEPT {
            self.bytes.shrink_to(SEND_BYTES_KEPT);
        }
        self.next = 0;
    }
}

/// Sleeps in poll(2) until one of `descriptors` has an event it asks for (or hangs up or fails),
/// or `limit` passes (`None`: no limit). True when one is ready; an interrupted wait is a false.
pub(super) fn wait_ready(
    descriptors: &mut [libc::pollfd],
    limit: Option<std::time::Duration>,
) -> io::Result<bool> {
    let milliseconds = match limit {
        None => -1,
        // Rounded up, so a short wait does not become a busy loop of zero-length polls.
        Some(limit) => {
            libc::c_int::try_from(limit.as_micros().div_ceil(1000)).unwrap_or(libc::c_int::MAX)
        }
    };
    for descriptor in descriptors.iter_mut() {
        descriptor.revents = 0;
    }
    // SAFETY: the pointer and length describe `descriptors`, a live slice of pollfd the kernel
    // only writes `revents` of during the call.
    let ready = unsafe {
        libc::poll(
            descriptors.as_mut_ptr(),
            descriptors.len() as libc::nfds_t,
            milliseconds,
        )
    };
    match ready {
        -1 => {
            let error = io::Error::last_os_error();
            if error.kind() == io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(error)
            }
        }
        0 => Ok(false),
        _ => Ok(true),
    }
}

/// One `sendmmsg` for up to a batch of `answers`; returns how many the kernel took (at least one).
fn send_now(
    descriptor: RawFd,
    answers: &[(SockAddr, Range<usize>)],
    bytes: &[u8],
) -> io::Result<usize> {
    let mut iovecs = [libc::iovec {
        iov_base: ptr::null_mut(),
        iov_len: 0,
    }; UDP_BATCH_SIZE];
    // SAFETY: all-zero bytes are a valid mmsghdr (null pointers, zero lengths).
    let mut messages: [libc::mmsghdr; UDP_BATCH_SIZE] = unsafe { mem::zeroed() };
    let mut count: usize = 0;
    for ((message, iovec), (client, place)) in
        messages.iter_mut().zip(iovecs.iter_mut()).zip(answers)
    {
        // Every place was cut from `bytes` by `push`.
        let response = bytes.get(place.clone()).unwrap_or_default();
        // The kernel only reads through these pointers when sending.
        iovec.iov_base = response.as_ptr().cast_mut().cast();
        iovec.iov_len = response.len();
        message.msg_hdr.msg_name = client.as_ptr().cast_mut().cast();
        message.msg_hdr.msg_namelen = client.len();
        message.msg_hdr.msg_iov = iovec;
        message.msg_hdr.msg_iovlen = 1;
        count += 1;
    }
    // SAFETY: the first `count` messages point at iovecs of this frame, each at a response and
    // an address borrowed from `answers` for the whole call; the kernel does not write to them.
    let sent = unsafe {
        libc::sendmmsg(
            descriptor,
            messages.as_mut_ptr(),
            count as libc::c_uint,
            libc::MSG_DONTWAIT,
        )
    };
    usize::try_from(sent).map_err(|_| io::Error::last_os_error())
}

/// The size of the address buffer given to the kernel for each datagram.
fn socket_address_capacity() -> libc::socklen_t {
    mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t
}

/// The source address the kernel wrote, for IPv4 and IPv6 (the only families we bind).
fn socket_address(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match libc::c_int::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: family AF_INET means the kernel wrote a sockaddr_in here; sockaddr_storage
            // is larger than it and aligned for every sockaddr type.
            let address = unsafe { &*ptr::from_ref(storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(address.sin_addr.s_addr));
            Some(SocketAddr::from((ip, u16::from_be(address.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for AF_INET6 and sockaddr_in6.
            let address = unsafe { &*ptr::from_ref(storage).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(address.sin6_addr.s6_addr),
                u16::from_be(address.sin6_port),
                address.sin6_flowinfo,
                address.sin6_scope_id,
            )))
        }
        _ => None,
    }
}
