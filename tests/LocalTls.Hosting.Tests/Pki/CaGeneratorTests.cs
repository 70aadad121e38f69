using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using LocalTls.Pki;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Pki;

public class CaGeneratorTests
{
    private static X509Certificate2 Load(string pem) => X509Certificate2.CreateFromPem(pem);

    [Fact]
    public void Default_root_is_a_p256_ca_with_pathlen_1_and_critical_usage_and_constraints()
    {
        var ca = CaGenerator.Create();
        using var root = Load(ca.RootCertificatePem);

        Assert.Equal("CN=Local Development Root CA", root.Subject);
        Assert.Equal(root.Subject, root.Issuer);
        Assert.Equal("1.2.840.10045.2.1", root.PublicKey.Oid.Value); // id-ecPublicKey
        using (var ecdsa = root.GetECDsaPublicKey()!)
        {
            Assert.Equal(256, ecdsa.KeySize);
        }

        var basic = Assert.Single(root.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(basic.Critical);
        Assert.True(basic.CertificateAuthority);
        Assert.True(basic.HasPathLengthConstraint);
        Assert.Equal(1, basic.PathLengthConstraint);

        var usage = Assert.Single(root.Extensions.OfType<X509KeyUsageExtension>());
        Assert.True(usage.Critical);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, usage.KeyUsages);
        Assert.Single(root.Extensions.OfType<X509SubjectKeyIdentifierExtension>());

        var constraints = root.Extensions["2.5.29.30"];
        Assert.NotNull(constraints);
        Assert.True(constraints.Critical);

        var years = (root.NotAfter - root.NotBefore).TotalDays / 365.25;
        Assert.InRange(years, 9.9, 10.1);
    }

    [Fact]
    public void Intermediate_has_pathlen_0_and_its_aki_is_the_root_ski()
    {
        var ca = CaGenerator.Create();
        using var root = Load(ca.RootCertificatePem);
        using var intermediate = Load(ca.IntermediateCertificatePem);

        Assert.Equal("CN=Local Development Intermediate CA", intermediate.Subject);
        Assert.Equal(root.Subject, intermediate.Issuer);
        var basic = Assert.Single(intermediate.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(basic.Critical && basic.CertificateAuthority && basic.HasPathLengthConstraint);
        Assert.Equal(0, basic.PathLengthConstraint);

        var rootSki = Assert.Single(root.Extensions.OfType<X509SubjectKeyIdentifierExtension>()).SubjectKeyIdentifierBytes.ToArray();
        var aki = Assert.Single(intermediate.Extensions.OfType<X509AuthorityKeyIdentifierExtension>());
        Assert.Equal(rootSki, aki.KeyIdentifier!.Value.ToArray());
        Assert.NotEqual(rootSki, Assert.Single(intermediate.Extensions.OfType<X509SubjectKeyIdentifierExtension>()).SubjectKeyIdentifierBytes.ToArray());
        Assert.True(intermediate.NotAfter <= root.NotAfter);
    }

    [Fact]
    public void Rsa3072_and_custom_names_are_honoured()
    {
        var ca = CaGenerator.Create(new CaOptions
        {
            KeyAlgorithm = CaKeyAlgorithm.Rsa3072,
            RootCommonName = "Team Root",
            IntermediateCommonName = "Team Issuing",
        });
        using var root = Load(ca.RootCertificatePem);
        using var rsa = root.GetRSAPublicKey();
        Assert.NotNull(rsa);
        Assert.Equal(3072, rsa.KeySize);
        Assert.Equal("Team Root", ca.RootCommonName);
        Assert.Equal("Team Issuing", ca.IntermediateCommonName);
        Assert.Contains("BEGIN PRIVATE KEY", ca.IntermediateKeyPem);
    }

    [Fact]
    public void Fingerprint_is_the_lowercase_sha256_of_the_der_root_and_matches_openssl()
    {
        var ca = CaGenerator.Create();
        using var root = Load(ca.RootCertificatePem);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(root.RawData)), ca.RootFingerprint);
        Assert.Matches("^[0-9a-f]{64}$", ca.RootFingerprint);
    }

    [Fact]
    public async Task Fingerprint_matches_openssl()
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var dir = new TempDirectory();
        var ca = CaGenerator.Create();
        File.WriteAllText(dir.Combine("root.crt"), ca.RootCertificatePem);
        var result = await Tool.RunAsync(openssl, ["x509", "-in", dir.Combine("root.crt"), "-noout", "-fingerprint", "-sha256"]);
        Assert.Equal(0, result.ExitCode);
        var printed = result.Stdout.Trim().Split('=')[1].Replace(":", "").ToLowerInvariant();
        Assert.Equal(printed, ca.RootFingerprint);
    }

    [Fact]
    public void CaBundle_is_base64_of_the_root_pem()
    {
        var ca = CaGenerator.Create();
        var decoded = Encoding.ASCII.GetString(Convert.FromBase64String(ca.CaBundleBase64));
        Assert.Equal(ca.RootCertificatePem, decoded);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", decoded);
    }

    [Fact]
    public void Two_cas_differ_in_keys_and_fingerprints()
    {
        var a = CaGenerator.Create();
        var b = CaGenerator.Create();
        Assert.NotEqual(a.RootFingerprint, b.RootFingerprint);
        Assert.NotEqual(a.IntermediateKeyPem, b.IntermediateKeyPem);
    }

    [Fact]
    public void Rotating_the_intermediate_keeps_the_root()
    {
        var ca = CaGenerator.Create();
        var rotated = CaGenerator.RotateIntermediate(ca);
        Assert.Equal(ca.RootFingerprint, rotated.RootFingerprint);
        Assert.NotEqual(ca.IntermediateCertificatePem, rotated.IntermediateCertificatePem);
        var ex = Assert.Throws<PkiException>(() => CaGenerator.RotateIntermediate(ca.WithoutRootKey()));
        Assert.Contains("root private key", ex.Message);
    }

    [Theory]
    [InlineData("", "RootCommonName")]
    [InlineData("   ", "RootCommonName")]
    public void Bad_common_names_are_rejected_with_an_example(string cn, string param)
    {
        var ex = Assert.Throws<ArgumentException>(() => CaGenerator.Create(new CaOptions { RootCommonName = cn }));
        Assert.Equal(param, ex.ParamName);
        Assert.Contains("e.g.", ex.Message);
    }

    [Fact]
    public void Bad_validity_and_permitted_lists_are_rejected()
    {
        Assert.Contains("at least one day", Assert.Throws<ArgumentException>(() => CaGenerator.Create(new CaOptions { RootValidity = TimeSpan.FromHours(2) })).Message);
        Assert.Contains("between one hour and the root's validity", Assert.Throws<ArgumentException>(() =>
            CaGenerator.Create(new CaOptions { RootValidity = TimeSpan.FromDays(10), IntermediateValidity = TimeSpan.FromDays(20) })).Message);
        Assert.Contains("CIDR", Assert.Throws<ArgumentException>(() => CaGenerator.Create(new CaOptions { PermittedIpRanges = ["10.0.0.0/33"] })).Message);
        Assert.Contains("letters, digits and hyphens", Assert.Throws<ArgumentException>(() => CaGenerator.Create(new CaOptions { PermittedDnsDomains = ["exa mple.com"] })).Message);
        Assert.Contains("nothing is permitted", Assert.Throws<ArgumentException>(() => CaGenerator.Create(new CaOptions { PermittedDnsDomains = [], PermittedIpRanges = [] })).Message);
    }
}
