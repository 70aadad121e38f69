using LocalTls.Pki;

namespace LocalTls.StepCa;

/// <summary>Encrypts a private key as PKCS#8 <c>ENCRYPTED PRIVATE KEY</c> PEM that step-ca (go.step.sm/crypto/pemutil) decrypts.</summary>
internal static class StepCaKeyEncryption
{
    /// <summary>
    /// PBES2 with PBKDF2-HMAC-SHA256 (100,000 rounds) and AES-256-CBC, via <see cref="Pem.EncodeEncryptedPrivateKey"/>:
    /// one of the schemes pemutil reads (it takes PBES2/PBKDF2 with AES or 3DES, and legacy "Proc-Type: 4,ENCRYPTED").
    /// An already encrypted input is decrypted with the same password first.
    /// </summary>
    /// <exception cref="StepCaException">The key cannot be read.</exception>
    public static string Encrypt(string keyPem, string password)
    {
        try
        {
            var key = Pem.ReadPrivateKey(keyPem, "intermediate key", password);
            return Pem.EncodeEncryptedPrivateKey(key, password);
        }
        catch (PkiException e)
        {
            throw new StepCaException(e.Message, e);
        }
    }
}
