using System.Security.Cryptography.X509Certificates;
using LocalTls.Acme;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Acme;

/// <summary>Checks an issued certificate independently: with OpenSSL and with .NET's chain builder, trusting only our root.</summary>
internal static class AcmeCheck
{
    public const string IntermediateCommonName = "Local Development Intermediate CA";

    /// <summary>Leaf + intermediate, issued by our intermediate, with exactly <paramref name="names"/> as DNS SANs; verifies to our root with OpenSSL.</summary>
    public static async Task WithOpenSslAsync(AcmeTestbed bed, AcmeCertificate issued, string hostToVerify, params string[] names)
    {
        var blocks = issued.ChainPemBlocks;
        Assert.True(blocks.Count == 2, $"expected leaf + intermediate, got {blocks.Count} certificates:\n{issued.CertificateChainPem}");
        Assert.Equal(bed.Material.IntermediateCertificatePem.Trim(), blocks[1].Trim());
        var dir = Directory.CreateDirectory(bed.Temp.Combine("check-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var leaf = Path.Combine(dir, "leaf.pem");
        var intermediate = Path.Combine(dir, "intermediate.pem");
        var root = Path.Combine(dir, "root.pem");
        var key = Path.Combine(dir, "leaf.key");
        File.WriteAllText(leaf, blocks[0]);
        File.WriteAllText(intermediate, blocks[1]);
        File.WriteAllText(root, bed.Material.RootCertificatePem);
        File.WriteAllText(key, issued.PrivateKeyPem);

        var openssl = Tool.Require("openssl", "openssl");
        var shown = await Tool.RunAsync(openssl, ["x509", "-in", leaf, "-noout", "-issuer", "-ext", "subjectAltName", "-nameopt", "RFC2253"], timeout: TimeSpan.FromSeconds(30));
        Assert.True(shown.ExitCode == 0, shown.Output);
        Assert.Contains($"issuer=CN={IntermediateCommonName}", shown.Stdout);
        var sans = shown.Stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("DNS:", StringComparison.Ordinal) || l.StartsWith("IP", StringComparison.Ordinal));
        Assert.Equal(string.Join(", ", names.Select(n => System.Net.IPAddress.TryParse(n, out _) ? "IP Address:" + n : "DNS:" + n)), sans);

        var verified = await Tool.RunAsync(openssl, ["verify", "-CAfile", root, "-untrusted", intermediate, "-purpose", "sslserver", "-verify_hostname", hostToVerify, leaf], timeout: TimeSpan.FromSeconds(30));
        Assert.True(verified.ExitCode == 0, $"openssl verify failed: {verified.Output}");
        Assert.Contains($"{leaf}: OK", verified.Stdout);

        // The private key is the leaf's: the public keys match.
        var fromKey = await Tool.RunAsync(openssl, ["pkey", "-in", key, "-pubout"], timeout: TimeSpan.FromSeconds(30));
        var fromCert = await Tool.RunAsync(openssl, ["x509", "-in", leaf, "-noout", "-pubkey"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(fromCert.Stdout, fromKey.Stdout);
        Assert.Contains("-----BEGIN PRIVATE KEY-----", issued.PrivateKeyPem);
    }

    /// <summary>.NET's chain builder with custom root trust (our root only) builds leaf → intermediate → root.</summary>
    public static void WithDotNetChain(AcmeTestbed bed, AcmeCertificate issued)
    {
        using var leaf = issued.GetCertificate();
        Assert.True(leaf.HasPrivateKey);
        var intermediates = issued.GetIntermediates();
        using var root = X509Certificate2.CreateFromPem(bed.Material.RootCertificatePem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        var built = chain.Build(leaf);
        Assert.True(built, "X509Chain: " + string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation}")));
        Assert.Equal(3, chain.ChainElements.Count);
        Assert.Equal(root.Thumbprint, chain.ChainElements[2].Certificate.Thumbprint);
        foreach (var certificate in intermediates)
        {
            certificate.Dispose();
        }
    }
}
