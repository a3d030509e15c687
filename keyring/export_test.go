package keyring

// SealContext exposes how a private key is bound to its row, for the test
// that opens the table's sealed keys.
var SealContext = sealContext
