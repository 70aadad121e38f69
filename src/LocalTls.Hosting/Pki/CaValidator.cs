using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace LocalTls.Pki;

/// <summary>Checks imported CA material the way a client would, before anything is written.</summary>
internal static class CaValidator
{
    public static void ValidateRoot(BcCertificate root, AsymmetricKeyParameter? rootKey, DateTimeOffset now)
    {
        const string what = "root certificate";
        RequireCa(root, what);
        if (!root.IssuerDN.Equivalent(root.SubjectDN) || !SignedBy(root, root))
        {
            throw new PkiException($"The {what} ({Describe(root)}) is not self-signed: it was issued by '{root.IssuerDN}'. Give the top of the chain, the certificate whose issuer is itself.");
        }

        RequireValid(root, what, now);
        if (rootKey is not null)
        {
            RequireKeyMatches(root, rootKey, "root");
        }
    }

    public static void ValidateIntermediate(BcCertificate intermediate, AsymmetricKeyParameter intermediateKey, BcCertificate root, DateTimeOffset now)
    {
        const string what = "intermediate certificate";
        RequireCa(intermediate, what);
        if (!intermediate.IssuerDN.Equivalent(root.SubjectDN) || !SignedBy(intermediate, root))
        {
            throw new PkiException($"The {what} ({Describe(intermediate)}) was not signed by the root ({Describe(root)}). Give the intermediate that this root issued, or import the root that issued it.");
        }

        var rootPath = root.GetBasicConstraints();
        if (rootPath == 0)
        {
            throw new PkiException($"The root certificate ({Describe(root)}) has pathlen 0, so it cannot have an intermediate CA below it. Use a root with pathlen 1 or more (step's root-ca profile), or create a new CA with 'localtls ca init --force'.");
        }

        RequireValid(intermediate, what, now);
        RequireKeyMatches(intermediate, intermediateKey, "intermediate");
    }

    private static void RequireCa(BcCertificate certificate, string what)
    {
        if (certificate.GetBasicConstraints() < 0)
        {
            throw new PkiException($"The {what} ({Describe(certificate)}) is not a CA certificate: it has no basicConstraints CA:TRUE. Give a CA certificate, not a server or client certificate.");
        }

        var usage = certificate.GetKeyUsage();
        if (usage is not null && !usage[5])
        {
            throw new PkiException($"The {what} ({Describe(certificate)}) may not sign certificates: its keyUsage lacks keyCertSign. Give a CA certificate whose keyUsage includes keyCertSign.");
        }
    }

    private static void RequireValid(BcCertificate certificate, string what, DateTimeOffset now)
    {
        if (certificate.NotAfter < now.UtcDateTime)
        {
            throw new PkiException($"The {what} ({Describe(certificate)}) expired on {certificate.NotAfter:yyyy-MM-dd HH:mm} UTC. Renew it, or create a new CA with 'localtls ca init --force'.");
        }

        if (certificate.NotBefore > now.UtcDateTime)
        {
            throw new PkiException($"The {what} ({Describe(certificate)}) is not valid until {certificate.NotBefore:yyyy-MM-dd HH:mm} UTC. Check this machine's clock, or wait until then.");
        }
    }

    private static void RequireKeyMatches(BcCertificate certificate, AsymmetricKeyParameter key, string which)
    {
        if (!KeyMatches(certificate, key))
        {
            throw new PkiException($"The {which} private key does not belong to the {which} certificate ({Describe(certificate)}): their public keys differ. Give the key that was created with this certificate.");
        }
    }

    internal static bool KeyMatches(BcCertificate certificate, AsymmetricKeyParameter key)
    {
        var publicKey = certificate.GetPublicKey();
        // Sign a challenge with the key and check it with the certificate's public key: works for every key type.
        var algorithm = key is Org.BouncyCastle.Crypto.Parameters.RsaKeyParameters ? "SHA256WITHRSA" : "SHA256WITHECDSA";
        var challenge = SecureRandom.GetNextBytes(new SecureRandom(), 32);
        try
        {
            var signer = SignerUtilities.GetSigner(algorithm);
            signer.Init(true, key);
            signer.BlockUpdate(challenge, 0, challenge.Length);
            var signature = signer.GenerateSignature();
            var verifier = SignerUtilities.GetSigner(algorithm);
            verifier.Init(false, publicKey);
            verifier.BlockUpdate(challenge, 0, challenge.Length);
            return verifier.VerifySignature(signature);
        }
        catch (Exception e) when (e is InvalidKeyException or ArgumentException or InvalidCastException or CryptoException)
        {
            return false;
        }
    }

    private static bool SignedBy(BcCertificate certificate, BcCertificate issuer)
    {
        try
        {
            certificate.Verify(issuer.GetPublicKey());
            return true;
        }
        catch (Exception e) when (e is InvalidKeyException or SignatureException or Org.BouncyCastle.Security.Certificates.CertificateException or ArgumentException or InvalidCastException)
        {
            return false;
        }
    }

    private static string Describe(BcCertificate certificate) => $"CN={Pem.CommonName(certificate)}";
}
