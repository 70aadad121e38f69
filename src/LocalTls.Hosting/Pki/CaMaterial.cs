using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Org.BouncyCastle.Crypto;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace LocalTls.Pki;

/// <summary>
/// A local development CA: a root certificate that browsers and clients trust, and an intermediate
/// certificate and key that step-ca signs with. The root key is optional: it is only needed to rotate the
/// intermediate, and nothing here ever sends it anywhere.
/// </summary>
internal sealed class CaMaterial
{
    internal CaMaterial(BcCertificate root, AsymmetricKeyParameter? rootKey, BcCertificate intermediate, AsymmetricKeyParameter intermediateKey)
    {
        Root = root;
        RootKey = rootKey;
        Intermediate = intermediate;
        IntermediateKey = intermediateKey;
        RootCertificatePem = Pem.EncodeCertificate(root);
        IntermediateCertificatePem = Pem.EncodeCertificate(intermediate);
        IntermediateKeyPem = Pem.EncodePrivateKey(intermediateKey);
        RootKeyPem = rootKey is null ? null : Pem.EncodePrivateKey(rootKey);
        RootFingerprint = Convert.ToHexStringLower(SHA256.HashData(root.GetEncoded()));
        NameConstraints = NameConstraintSet.FromCertificate(root);
    }

    internal BcCertificate Root { get; }

    internal AsymmetricKeyParameter? RootKey { get; }

    internal BcCertificate Intermediate { get; }

    internal AsymmetricKeyParameter IntermediateKey { get; }

    /// <summary>The root certificate, PEM encoded: what clients trust.</summary>
    public string RootCertificatePem { get; }

    /// <summary>The intermediate certificate, PEM encoded: step-ca's <c>crt</c>.</summary>
    public string IntermediateCertificatePem { get; }

    /// <summary>The intermediate private key, PKCS#8 PEM: step-ca's <c>key</c>. Secret.</summary>
    public string IntermediateKeyPem { get; }

    /// <summary>The root private key, PKCS#8 PEM, when this material has it. Secret; never rendered into a cluster.</summary>
    public string? RootKeyPem { get; }

    /// <summary>The SHA-256 fingerprint of the root certificate, lower-case hex, in the form step-ca prints.</summary>
    public string RootFingerprint { get; }

    /// <summary>The root certificate PEM encoded as base64, the form cert-manager's ACME <c>caBundle</c> takes.</summary>
    public string CaBundleBase64 => Convert.ToBase64String(Encoding.ASCII.GetBytes(RootCertificatePem));

    /// <summary>The root's subject common name.</summary>
    public string RootCommonName => Pem.CommonName(Root);

    /// <summary>The intermediate's subject common name.</summary>
    public string IntermediateCommonName => Pem.CommonName(Intermediate);

    /// <summary>When the root stops being valid.</summary>
    public DateTimeOffset RootNotAfter => new(Root.NotAfter, TimeSpan.Zero);

    /// <summary>When the intermediate stops being valid.</summary>
    public DateTimeOffset IntermediateNotAfter => new(Intermediate.NotAfter, TimeSpan.Zero);

    /// <summary>The root's name constraints, or <see langword="null"/> when the root has none.</summary>
    public NameConstraintSet? NameConstraints { get; }

    /// <summary>Whether a leaf certificate for this DNS name or IP would chain to the root (true when the root has no constraints).</summary>
    public bool Permits(string nameOrAddress) => NameConstraints?.Permits(nameOrAddress) ?? true;

    /// <summary>The root as a .NET certificate, for <see cref="X509ChainTrustMode.CustomRootTrust"/> and trust stores.</summary>
    public X509Certificate2 GetRootCertificate() =>
        X509CertificateLoader.LoadCertificate(Root.GetEncoded());

    /// <summary>This material without the root key: what a CA server needs and nothing more.</summary>
    public CaMaterial WithoutRootKey() => RootKey is null ? this : new CaMaterial(Root, null, Intermediate, IntermediateKey);
}
