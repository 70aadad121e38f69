using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.Utilities.IO.Pem;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;
using BcPemReader = Org.BouncyCastle.OpenSsl.PemReader;
using BcPemWriter = Org.BouncyCastle.Utilities.IO.Pem.PemWriter;

namespace LocalTls.Pki;

/// <summary>PEM encoding and decoding with errors that name the input and say what was expected.</summary>
internal static class Pem
{
    /// <summary>Reads every certificate in a PEM text.</summary>
    /// <param name="pem">The PEM text.</param>
    /// <param name="what">What the text is, for messages ("root certificate (root_ca.crt)").</param>
    /// <exception cref="PkiException">The text holds no certificate, or a block is not a valid certificate.</exception>
    public static IReadOnlyList<BcCertificate> ReadCertificates(string pem, string what)
    {
        var blocks = ReadBlocks(pem, what);
        var certificates = new List<BcCertificate>();
        foreach (var block in blocks)
        {
            if (block.Type is "CERTIFICATE" or "X509 CERTIFICATE" or "TRUSTED CERTIFICATE")
            {
                try
                {
                    certificates.Add(new BcCertificate(block.Content));
                }
                catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException or Org.BouncyCastle.Security.Certificates.CertificateException or Org.BouncyCastle.Asn1.Asn1Exception)
                {
                    throw new PkiException($"The {what} has a CERTIFICATE block that is not a valid X.509 certificate ({e.Message}). Export the certificate again as PEM.");
                }
            }
        }

        if (certificates.Count == 0)
        {
            var found = string.Join(", ", blocks.Select(b => b.Type));
            throw new PkiException($"The {what} holds no certificate (found: {found}). It must contain a '-----BEGIN CERTIFICATE-----' block.");
        }

        return certificates;
    }

    /// <summary>Reads one certificate: the first in the text.</summary>
    public static BcCertificate ReadCertificate(string pem, string what) => ReadCertificates(pem, what)[0];

    /// <summary>Reads a private key: PKCS#8, encrypted PKCS#8 (with <paramref name="password"/>), SEC1 EC or PKCS#1 RSA.</summary>
    /// <exception cref="PkiException">The text is not a private key, is encrypted and no (or a wrong) password was given.</exception>
    public static AsymmetricKeyParameter ReadPrivateKey(string pem, string what, string? password = null)
    {
        var blocks = ReadBlocks(pem, what);
        var keyBlock = blocks.FirstOrDefault(b => b.Type.EndsWith("PRIVATE KEY", StringComparison.Ordinal))
            ?? throw new PkiException($"The {what} holds no private key (found: {string.Join(", ", blocks.Select(b => b.Type))}). It must contain a '-----BEGIN PRIVATE KEY-----' or '-----BEGIN EC PRIVATE KEY-----' block.");
        try
        {
            if (keyBlock.Type == "ENCRYPTED PRIVATE KEY")
            {
                if (string.IsNullOrEmpty(password))
                {
                    throw new PkiException($"The {what} is encrypted: give its password (e.g. --password-file), or export it unencrypted.");
                }

                return PrivateKeyFactory.CreateKey(DecryptPkcs8(keyBlock.Content, password));
            }

            if (keyBlock.Type == "PRIVATE KEY")
            {
                return PrivateKeyFactory.CreateKey(keyBlock.Content);
            }

            using var reader = new BcPemReader(new StringReader(pem), password is null ? null : new Password(password));
            for (var o = reader.ReadObject(); o is not null; o = reader.ReadObject())
            {
                switch (o)
                {
                    case AsymmetricCipherKeyPair pair:
                        return pair.Private;
                    case AsymmetricKeyParameter { IsPrivate: true } key:
                        return key;
                }
            }
        }
        catch (PkiException)
        {
            throw;
        }
        catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or InvalidCipherTextException or PemException or IOException or ArgumentException or InvalidOperationException or SecurityUtilityException or Org.BouncyCastle.Asn1.Asn1Exception)
        {
            throw new PkiException($"The {what} could not be read as a private key ({e.Message}). If it is encrypted, check the password; otherwise export it again as PKCS#8 PEM.");
        }

        throw new PkiException($"The {what} holds a '{keyBlock.Type}' block that is not a private key this tool reads. Export it as PKCS#8 PEM ('-----BEGIN PRIVATE KEY-----').");
    }

    /// <summary>Encodes a certificate as PEM.</summary>
    public static string EncodeCertificate(BcCertificate certificate) => Encode("CERTIFICATE", certificate.GetEncoded());

    /// <summary>Encodes a private key as unencrypted PKCS#8 PEM.</summary>
    public static string EncodePrivateKey(AsymmetricKeyParameter key) =>
        Encode("PRIVATE KEY", PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetEncoded());

    /// <summary>Encodes a private key as password-encrypted PKCS#8 PEM (PBES2, PBKDF2-SHA256, AES-256-CBC), as step-ca reads it.</summary>
    public static string EncodeEncryptedPrivateKey(AsymmetricKeyParameter key, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        // .NET writes PBES2 with PBKDF2-HMAC-SHA256, which go.step.sm/crypto/pemutil decrypts.
        var pkcs8 = PrivateKeyInfoFactory.CreatePrivateKeyInfo(key).GetEncoded();
        var pbe = new System.Security.Cryptography.PbeParameters(
            System.Security.Cryptography.PbeEncryptionAlgorithm.Aes256Cbc, System.Security.Cryptography.HashAlgorithmName.SHA256, 100_000);
        using System.Security.Cryptography.AsymmetricAlgorithm algorithm = key is RsaKeyParameters
            ? System.Security.Cryptography.RSA.Create()
            : System.Security.Cryptography.ECDsa.Create();
        algorithm.ImportPkcs8PrivateKey(pkcs8, out _);
        return Encode("ENCRYPTED PRIVATE KEY", algorithm.ExportEncryptedPkcs8PrivateKey(password, pbe));
    }

    private static byte[] DecryptPkcs8(byte[] encrypted, string password)
    {
        using System.Security.Cryptography.AsymmetricAlgorithm ec = System.Security.Cryptography.ECDsa.Create();
        try
        {
            ec.ImportEncryptedPkcs8PrivateKey(password, encrypted, out _);
            return ec.ExportPkcs8PrivateKey();
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            using var rsa = System.Security.Cryptography.RSA.Create();
            rsa.ImportEncryptedPkcs8PrivateKey(password, encrypted, out _);
            return rsa.ExportPkcs8PrivateKey();
        }
    }

    internal static string CommonName(BcCertificate certificate) =>
        certificate.SubjectDN.GetValueList(X509Name.CN).FirstOrDefault() ?? certificate.SubjectDN.ToString();

    private static string Encode(string type, byte[] der)
    {
        using var text = new StringWriter();
        using (var writer = new BcPemWriter(text))
        {
            writer.WriteObject(new PemObject(type, der));
        }

        return text.ToString().ReplaceLineEndings("\n");
    }

    private static List<PemObject> ReadBlocks(string pem, string what)
    {
        if (string.IsNullOrWhiteSpace(pem))
        {
            throw new PkiException($"The {what} is empty. It must be PEM text starting with '-----BEGIN'.");
        }

        var blocks = new List<PemObject>();
        try
        {
            using var reader = new Org.BouncyCastle.Utilities.IO.Pem.PemReader(new StringReader(pem));
            for (var block = reader.ReadPemObject(); block is not null; block = reader.ReadPemObject())
            {
                blocks.Add(block);
            }
        }
        catch (Exception e) when (e is IOException or FormatException or ArgumentException)
        {
            throw new PkiException($"The {what} is not valid PEM ({e.Message}). Each block must run from '-----BEGIN …-----' to the matching '-----END …-----' with base64 between.");
        }

        if (blocks.Count == 0)
        {
            throw new PkiException($"The {what} is not PEM: no '-----BEGIN …-----' line was found. If it is DER, convert it with 'openssl x509 -inform der -in FILE -out FILE.pem'.");
        }

        return blocks;
    }

    private sealed class Password(string value) : IPasswordFinder
    {
        public char[] GetPassword() => value.ToCharArray();
    }
}

/// <summary>A problem with CA material that the user can fix: the message says how.</summary>
internal sealed class PkiException(string message) : Exception(message);
