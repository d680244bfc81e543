//! RSA signatures made with keys shorter than ring's floor (1024 bits), verified with RustCrypto's
//! `rsa` crate (PKCS#1 v1.5, RFC 3110 and RFC 5702): verification only, and for nothing else.
//!
//! Why: ring (hickory's crypto) refuses RSA moduli under 1024 bits, but Unbound and BIND validate
//! them, and old zones and test vectors (RFC 5155's example zone, Unbound's testdata) are signed
//! with 512-1023-bit keys. Keys under `MIN_RSA_KEY_BITS` are not validated at all: such a zone is
//! insecure, as an unsupported algorithm makes it (RFC 6840 §5.2).

use hickory_proto::dnssec::Algorithm;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::{BigUint, RsaPublicKey};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::limits::{MIN_RSA_KEY_BITS, RING_MIN_RSA_KEY_BITS};

/// What this file says about one signature and key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortRsa {
    /// Not an RSA key below ring's floor: ring decides.
    NotShort,
    /// Below `MIN_RSA_KEY_BITS`: not validated (insecure, never bogus).
    TooShort,
    Valid,
    Invalid,
}

/// The exponent and modulus of an RSA key in RFC 3110 §2 wire form; None if malformed.
fn components(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = key.split_first()?;
    let (exponent_length, rest) = if first == 0 {
        let (length, rest) = rest.split_at_checked(2)?;
        (
            usize::from(u16::from_be_bytes([length[0], length[1]])),
            rest,
        )
    } else {
        (usize::from(first), rest)
    };
    let (exponent, modulus) = rest.split_at_checked(exponent_length)?;
    (!exponent.is_empty() && !modulus.is_empty()).then_some((exponent, modulus))
}

/// The modulus length in bits, leading zero octets not counted.
fn modulus_bits(modulus: &[u8]) -> usize {
    let significant = modulus.iter().skip_while(|byte| **byte == 0).count();
    significant * 8
}

/// Verifies `signature` over `message` (the RRSIG's to-be-signed bytes) with an RSA `key`
/// (RFC 3110 wire form) if it is shorter than ring accepts.
pub fn verify_short_rsa(
    algorithm: Algorithm,
    key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> ShortRsa {
    #[allow(deprecated)]
    let rsa = matches!(
        algorithm,
        Algorithm::RSASHA1
            | Algorithm::RSASHA1NSEC3SHA1
            | Algorithm::RSASHA256
            | Algorithm::RSASHA512
    );
    if !rsa {
        return ShortRsa::NotShort;
    }
    let Some((exponent, modulus)) = components(key) else {
        return ShortRsa::NotShort;
    };
    let bits = modulus_bits(modulus);
    if bits >= RING_MIN_RSA_KEY_BITS {
        return ShortRsa::NotShort;
    }
    if bits < MIN_RSA_KEY_BITS {
        return ShortRsa::TooShort;
    }
    let Ok(public) = RsaPublicKey::new(
        BigUint::from_bytes_be(modulus),
        BigUint::from_bytes_be(exponent),
    ) else {
        return ShortRsa::Invalid;
    };
    #[allow(deprecated)]
    let checked = match algorithm {
        Algorithm::RSASHA256 => public.verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(message),
            signature,
        ),
        Algorithm::RSASHA512 => public.verify(
            Pkcs1v15Sign::new::<Sha512>(),
            &Sha512::digest(message),
            signature,
        ),
        _ => public.verify(
            Pkcs1v15Sign::new::<Sha1>(),
            &Sha1::digest(message),
            signature,
        ),
    };
    if checked.is_ok() {
        ShortRsa::Valid
    } else {
        ShortRsa::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::PublicKeyParts;
    use rsa::RsaPrivateKey;

    /// A key's RFC 3110 wire form.
    fn wire(public: &RsaPublicKey) -> Vec<u8> {
        let exponent = public.e().to_bytes_be();
        let mut key = vec![u8::try_from(exponent.len()).unwrap()];
        key.extend(exponent);
        key.extend(public.n().to_bytes_be());
        key
    }

    #[test]
    fn a_512_bit_key_verifies_and_a_changed_message_does_not() {
        let mut rng = rand_core_rng();
        let private = RsaPrivateKey::new(&mut rng, 512).unwrap();
        let public = RsaPublicKey::from(&private);
        let message = b"to be signed";
        let signature = private
            .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
            .unwrap();
        let key = wire(&public);
        assert_eq!(
            verify_short_rsa(Algorithm::RSASHA256, &key, message, &signature),
            ShortRsa::Valid
        );
        assert_eq!(
            verify_short_rsa(Algorithm::RSASHA256, &key, b"to be signeD", &signature),
            ShortRsa::Invalid
        );
        assert_eq!(
            verify_short_rsa(Algorithm::ED25519, &key, message, &signature),
            ShortRsa::NotShort
        );
    }

    #[test]
    fn keys_below_the_floor_are_unsupported_and_long_ones_left_to_ring() {
        let mut tiny = vec![1, 3];
        tiny.extend(std::iter::repeat_n(0xc5, 32));
        assert_eq!(
            verify_short_rsa(Algorithm::RSASHA256, &tiny, b"m", &[0; 32]),
            ShortRsa::TooShort
        );
        let mut long = vec![1, 3];
        long.extend(std::iter::repeat_n(0xc5, 128));
        assert_eq!(
            verify_short_rsa(Algorithm::RSASHA256, &long, b"m", &[0; 128]),
            ShortRsa::NotShort
        );
        assert_eq!(components(&[]), None);
        assert_eq!(components(&[0, 0]), None);
        assert_eq!(components(&[3, 1, 0]), None);
    }

    /// A deterministic generator for key generation in tests (no OS entropy needed).
    fn rand_core_rng() -> impl rsa::rand_core::CryptoRngCore {
        struct Counter(u64);
        impl rsa::rand_core::RngCore for Counter {
            fn next_u32(&mut self) -> u32 {
                self.next_u64() as u32
            }
            fn next_u64(&mut self) -> u64 {
                // SplitMix64.
                self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
                let mut z = self.0;
                z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
                z ^ (z >> 31)
            }
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                for chunk in dest.chunks_mut(8) {
                    let bytes = self.next_u64().to_le_bytes();
                    chunk.copy_from_slice(&bytes[..chunk.len()]);
                }
            }
            fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rsa::rand_core::Error> {
                self.fill_bytes(dest);
                Ok(())
            }
        }
        impl rsa::rand_core::CryptoRng for Counter {}
        Counter(7)
    }
}
