using System.Security.Cryptography;

namespace LocalTls.StepCa;

/// <summary>Encrypts a private key as PKCS#8 <c>ENCRYPTED PRIVATE KEY</c> PEM that step-ca (go.step.sm/crypto/pemutil) decrypts.</summary>
internal static class StepCaKeyEncryption
{
    /// <summary>PBKDF2 rounds, as <c>step crypto</c> uses (pemutil.PBKDF2Iterations).</summary>
    internal const int Iterations = 100_000;

    /// <summary>PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC: the scheme pemutil writes and reads.</summary>
    public static string Encrypt(string keyPem, string password)
    {
        var parameters = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, Iterations);
        AsymmetricAlgorithm key = Import(keyPem);
        using (key)
        {
            return key.ExportEncryptedPkcs8PrivateKeyPem(password.AsSpan(), parameters).ReplaceLineEndings("\n") + "\n";
        }
    }

    private static AsymmetricAlgorithm Import(string keyPem)
    {
        var failures = new List<string>();
        foreach (var create in new Func<AsymmetricAlgorithm>[] { ECDsa.Create, RSA.Create })
        {
            var key = create();
            try
            {
                key.ImportFromPem(keyPem);
                return key;
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                failures.Add(e.Message);
                key.Dispose();
            }
        }

        throw new StepCaException(
            $"The intermediate key could not be read as an unencrypted EC or RSA private key ({string.Join("; ", failures.Distinct())}). Give it as PKCS#8 PEM ('-----BEGIN PRIVATE KEY-----'), or pass no password to write it as it is.");
    }
}
