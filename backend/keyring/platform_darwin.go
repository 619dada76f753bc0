package keyring

const unavailableHint = "aimonitor keeps credentials only in the macOS Keychain"
