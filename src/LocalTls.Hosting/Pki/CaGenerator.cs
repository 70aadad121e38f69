using System.Net;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;
using BcCertificate = Org.BouncyCastle.X509.X509Certificate;

namespace LocalTls.Pki;

/// <summary>
/// Creates CA material: the same root and intermediate that <c>step certificate create --profile root-ca</c>
/// and <c>--profile intermediate-ca</c> make, plus name constraints on the root.
/// </summary>
internal static class CaGenerator
{
    private static readonly SecureRandom Random = new();

    /// <summary>Creates a new root and intermediate.</summary>
    /// <param name="options">What to create; <see langword="null"/> for the defaults.</param>
    /// <param name="time">The clock; the system clock when <see langword="null"/>.</param>
    /// <example>
    /// <code>
    /// var ca = CaGenerator.Create(new CaOptions { RootCommonName = "Team Dev Root" });
    /// File.WriteAllText("root_ca.crt", ca.RootCertificatePem);
    /// </code>
    /// </example>
    public static CaMaterial Create(CaOptions? options = null, TimeProvider? time = null)
    {
        options ??= new CaOptions();
        options.Validate();
        var now = (time ?? TimeProvider.System).GetUtcNow();

        var rootKey = NewKey(options.KeyAlgorithm);
        var rootName = new X509Name($"CN={Escape(options.RootCommonName)}");
        var rootGen = NewGenerator(rootName, rootName, rootKey.Public, now, options.RootValidity);
        rootGen.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(1));
        rootGen.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        rootGen.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(rootKey.Public));
        if (options.NameConstraints)
        {
            // RFC 5280 4.2.1.10: conforming CAs mark name constraints critical.
            var set = new NameConstraintSet(options.PermittedDnsDomains, options.PermittedIpRanges);
            rootGen.AddExtension(X509Extensions.NameConstraints, true, set.ToExtension());
        }

        var root = rootGen.Generate(Signer(rootKey.Private));
        var (intermediate, intermediateKey) = CreateIntermediate(root, rootKey.Private, options, now);
        return new CaMaterial(root, rootKey.Private, intermediate, intermediateKey);
    }

    /// <summary>Signs a new intermediate with the root of <paramref name="material"/>, which must hold the root key.</summary>
    /// <exception cref="PkiException">The material has no root key.</exception>
    public static CaMaterial RotateIntermediate(CaMaterial material, CaOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(material);
        if (material.RootKey is null)
        {
            throw new PkiException("A new intermediate needs the root private key, and this CA store has none. Import the root key (localtls ca import --root-key FILE) or create a new CA with --force.");
        }

        options ??= new CaOptions();
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var (intermediate, key) = CreateIntermediate(material.Root, material.RootKey, options, now);
        return new CaMaterial(material.Root, material.RootKey, intermediate, key);
    }

    internal static (BcCertificate Certificate, AsymmetricKeyParameter Key) CreateIntermediate(
        BcCertificate root, AsymmetricKeyParameter rootKey, CaOptions options, DateTimeOffset now)
    {
        var key = NewKey(options.KeyAlgorithm);
        var validity = options.IntermediateValidity;
        var rootEnd = new DateTimeOffset(root.NotAfter, TimeSpan.Zero);
        if (now + validity > rootEnd)
        {
            validity = rootEnd - now;
        }

        var gen = NewGenerator(root.SubjectDN, new X509Name($"CN={Escape(options.IntermediateCommonName)}"), key.Public, now, validity);
        gen.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(0));
        gen.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.KeyCertSign | KeyUsage.CrlSign));
        gen.AddExtension(X509Extensions.SubjectKeyIdentifier, false, X509ExtensionUtilities.CreateSubjectKeyIdentifier(key.Public));
        gen.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(KeyIdentifierOf(root)));
        return (gen.Generate(Signer(rootKey)), key.Private);
    }

    /// <summary>Issues a TLS server leaf from the intermediate. For tests and fallbacks; step-ca issues the real ones.</summary>
    internal static (BcCertificate Certificate, AsymmetricKeyParameter Key) IssueLeaf(CaMaterial ca, IReadOnlyList<string> names, TimeSpan validity, TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        var key = NewKey(CaKeyAlgorithm.EcdsaP256);
        // No CN for an IP: OpenSSL checks a CN that looks like a host name against the DNS name constraints.
        var subject = IPAddress.TryParse(names[0], out _) ? new X509Name([], new Dictionary<DerObjectIdentifier, string>()) : new X509Name($"CN={Escape(names[0])}");
        var gen = NewGenerator(ca.Intermediate.SubjectDN, subject, key.Public, now, validity);
        gen.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        gen.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature | KeyUsage.KeyEncipherment));
        gen.AddExtension(X509Extensions.ExtendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth));
        gen.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(KeyIdentifierOf(ca.Intermediate)));
        var sans = names.Select(n => IPAddress.TryParse(n, out _) ? new GeneralName(GeneralName.IPAddress, n) : new GeneralName(GeneralName.DnsName, n));
        gen.AddExtension(X509Extensions.SubjectAlternativeName, false, new GeneralNames([.. sans]));
        return (gen.Generate(Signer(ca.IntermediateKey)), key.Private);
    }

    internal static AsymmetricCipherKeyPair NewKey(CaKeyAlgorithm algorithm)
    {
        if (algorithm == CaKeyAlgorithm.Rsa3072)
        {
            var rsa = new RsaKeyPairGenerator();
            rsa.Init(new RsaKeyGenerationParameters(BigInteger.ValueOf(65537), Random, 3072, 112));
            return rsa.GenerateKeyPair();
        }

        // A named-curve OID, so the public key is encoded as P-256 and not as explicit parameters.
        var ec = new ECKeyPairGenerator();
        ec.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, Random));
        return ec.GenerateKeyPair();
    }

    internal static ISignatureFactory Signer(AsymmetricKeyParameter key) =>
        new Asn1SignatureFactory(key is RsaKeyParameters ? "SHA256WITHRSA" : "SHA256WITHECDSA", key, Random);

    internal static byte[] KeyIdentifierOf(BcCertificate certificate)
    {
        var ski = certificate.GetExtensionValue(X509Extensions.SubjectKeyIdentifier);
        return ski is not null
            ? SubjectKeyIdentifier.GetInstance(Asn1Object.FromByteArray(ski.GetOctets())).GetKeyIdentifier()
            : X509ExtensionUtilities.CreateSubjectKeyIdentifier(certificate.GetPublicKey()).GetKeyIdentifier();
    }

    private static X509V3CertificateGenerator NewGenerator(X509Name issuer, X509Name subject, AsymmetricKeyParameter publicKey, DateTimeOffset now, TimeSpan validity)
    {
        var gen = new X509V3CertificateGenerator();
        gen.SetSerialNumber(new BigInteger(1, SecureRandom.GetNextBytes(Random, 16)));
        gen.SetIssuerDN(issuer);
        gen.SetSubjectDN(subject);
        // A minute of slack for clocks that run behind, as step does.
        gen.SetNotBefore((now - TimeSpan.FromMinutes(1)).UtcDateTime);
        gen.SetNotAfter((now + validity).UtcDateTime);
        gen.SetPublicKey(publicKey);
        return gen;
    }

    private static string Escape(string value) => value.Replace("\\", "\\\\").Replace(",", "\\,").Replace("=", "\\=").Replace("+", "\\+");
}
