//go:build linux

package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
)

// The Secret Service "dh-ietf1024-sha256-aes128-cbc-pkcs7" session: a
// Diffie-Hellman exchange over the 1024-bit MODP group of RFC 2409 (the
// "Second Oakley Group", generator 2), the shared secret padded to the
// prime's length, HKDF-SHA256 with no salt and empty info to a 16-byte key,
// and AES-128-CBC with PKCS#7 padding, the IV carried in the secret's
// Parameters. It protects secrets from other readers of the session bus
// (monitors, D-Bus logs), not from the provider.

const (
	modpGroup2PrimeHex = "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1" +
		"29024E088A67CC74020BBEA63B139B22514A08798E3404DD" +
		"EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245" +
		"E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED" +
		"EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381" +
		"FFFFFFFFFFFFFFFF"
	modpGroup2Bytes = 128
	sessionKeyBytes = 16
)

func modpGroup2Prime() *big.Int {
	p, ok := new(big.Int).SetString(modpGroup2PrimeHex, 16)
	if !ok {
		panic("keyring: bad built-in DH prime")
	}
	return p
}

// dhKeyPair is our half of the exchange. The private exponent is wiped by
// destroy; math/big's internal temporaries cannot be, which is accepted: the
// exponent protects a short-lived session key, not the secret itself.
type dhKeyPair struct {
	prime   *big.Int
	private *big.Int
	public  []byte // big-endian, padded to the prime's length
}

func newDHKeyPair() (*dhKeyPair, error) {
	p := modpGroup2Prime()
	// Uniform in [1, p-2]; any exponent in range is as good as libsecret's
	// "random bits below half the prime".
	limit := new(big.Int).Sub(p, big.NewInt(2))
	x, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, fmt.Errorf("keyring: cannot generate an encryption key: %w", err)
	}
	x.Add(x, big.NewInt(1))
	y := new(big.Int).Exp(big.NewInt(2), x, p)
	return &dhKeyPair{prime: p, private: x, public: y.FillBytes(make([]byte, modpGroup2Bytes))}, nil
}

// sessionKey derives the AES key from the peer's public value. The caller
// owns (and must zero) the returned key.
func (kp *dhKeyPair) sessionKey(peerPublic []byte) ([]byte, error) {
	y := new(big.Int).SetBytes(peerPublic)
	// Reject 0, 1 and p-1 (and anything out of range): they force a
	// predictable shared secret.
	pMinus1 := new(big.Int).Sub(kp.prime, big.NewInt(1))
	if len(peerPublic) > modpGroup2Bytes || y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(pMinus1) >= 0 {
		return nil, errors.New("keyring: the Secret Service sent an invalid encryption key")
	}
	z := new(big.Int).Exp(y, kp.private, kp.prime)
	shared := z.FillBytes(make([]byte, modpGroup2Bytes))
	zeroWords(z)
	defer clear(shared)
	key, err := hkdf.Key(sha256.New, shared, nil, "", sessionKeyBytes)
	if err != nil {
		return nil, fmt.Errorf("keyring: cannot derive the session key: %w", err)
	}
	return key, nil
}

func (kp *dhKeyPair) destroy() {
	if kp.private != nil {
		zeroWords(kp.private)
		kp.private = nil
	}
}

// zeroWords overwrites the magnitude of n in place.
func zeroWords(n *big.Int) {
	clear(n.Bits())
	n.SetInt64(0)
}

// encryptSecret pads and encrypts plaintext with key; it returns the IV and
// the ciphertext. plaintext is not modified.
func encryptSecret(key, plaintext []byte) (iv, ciphertext []byte, err error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, nil, fmt.Errorf("keyring: cannot encrypt the secret: %w", err)
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	padded := make([]byte, len(plaintext)+pad)
	defer clear(padded)
	copy(padded, plaintext)
	for i := len(plaintext); i < len(padded); i++ {
		padded[i] = byte(pad)
	}
	iv = make([]byte, aes.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return nil, nil, fmt.Errorf("keyring: cannot encrypt the secret: %w", err)
	}
	ciphertext = make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ciphertext, padded)
	return iv, ciphertext, nil
}

var errBadCiphertext = errors.New("keyring: the Secret Service sent a secret that does not decrypt (the session encryption is broken)")

// decryptSecret reverses encryptSecret. The returned plaintext is a fresh
// slice the caller owns; on error nothing decrypted is left behind.
func decryptSecret(key, iv, ciphertext []byte) ([]byte, error) {
	if len(iv) != aes.BlockSize || len(ciphertext) == 0 || len(ciphertext)%aes.BlockSize != 0 {
		return nil, errBadCiphertext
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring: cannot decrypt the secret: %w", err)
	}
	plain := make([]byte, len(ciphertext))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ciphertext)
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize {
		clear(plain)
		return nil, errBadCiphertext
	}
	want := make([]byte, pad)
	for i := range want {
		want[i] = byte(pad)
	}
	if subtle.ConstantTimeCompare(plain[len(plain)-pad:], want) != 1 {
		clear(plain)
		return nil, errBadCiphertext
	}
	n := len(plain) - pad
	return plain[:n:n], nil
}
