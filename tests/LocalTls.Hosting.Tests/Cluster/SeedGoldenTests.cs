using System.Text;
using LocalTls.Cluster;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Cluster;

/// <summary>
/// The seed document's example (namespace step-ca, ClusterIssuer step-ca-acme, Certificate test-tls for
/// test.192.168.5.2.sslip.io), rendered and compared with files reviewed once by eye. Key material and the
/// checksum differ per CA, so they are replaced by placeholders first. Set LOCALTLS_UPDATE_GOLDEN=1 to rewrite.
/// </summary>
public class SeedGoldenTests
{
    private static string Normalize(string yaml, LocalTls.Pki.CaMaterial ca)
    {
        static string Base64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        var text = yaml
            .Replace(ca.CaBundleBase64, "<base64 of root_ca.crt>")
            .Replace(Base64(ca.IntermediateKeyPem), "<base64 of intermediate_ca_key>")
            .Replace(ca.RootFingerprint, "<root fingerprint>");
        foreach (var (pem, name) in new[] { (ca.RootCertificatePem, "root_ca.crt"), (ca.IntermediateCertificatePem, "intermediate_ca.crt"), (ca.IntermediateKeyPem, "intermediate_ca_key") })
        {
            // Literal blocks indent every line: replace the block body at each indentation YAML may use.
            var lines = pem.TrimEnd('\n').Split('\n');
            for (var width = 0; width <= 16; width += 2)
            {
                var indent = new string(' ', width);
                text = text.Replace(string.Join("\n", lines.Select(l => indent + l)), indent + $"<{name}>");
            }
        }

        return System.Text.RegularExpressions.Regex.Replace(text, "localtls.io/config-checksum: [0-9a-f]{64}", "localtls.io/config-checksum: <sha256 of the files>");
    }

    [Theory]
    [InlineData(false, "seed.local.yaml")]
    [InlineData(true, "seed.production.yaml")]
    public void The_seed_example_renders_as_reviewed(bool production, string file)
    {
        var seed = ModelFixtures.Seed();
        var ca = ModelFixtures.Ca.Value;
        var set = ClusterManifests.Render(ModelFixtures.Resources(seed), production, _ => ca);
        var actual = Normalize(ManifestYaml.Write(set.Objects), ca);
        Assert.DoesNotContain("BEGIN", actual);

        var path = Repository.Path("tests", "LocalTls.Hosting.Tests", "Cluster", "Golden", file);
        if (Environment.GetEnvironmentVariable("LOCALTLS_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"{path} is missing: run the tests once with LOCALTLS_UPDATE_GOLDEN=1 and review it.");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Fact]
    public void The_chart_values_render_as_reviewed()
    {
        var seed = ModelFixtures.Seed();
        var ca = ModelFixtures.Ca.Value;
        var actual = Normalize(ManifestYaml.WriteValues(LocalTls.StepCa.StepCaHelmValuesRenderer.Render(seed.Ca, ca)), ca);
        Assert.DoesNotContain("BEGIN", actual);
        var path = Repository.Path("tests", "LocalTls.Hosting.Tests", "Cluster", "Golden", "seed.step-certificates-values.yaml");
        if (Environment.GetEnvironmentVariable("LOCALTLS_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"{path} is missing: run the tests once with LOCALTLS_UPDATE_GOLDEN=1 and review it.");
        Assert.Equal(File.ReadAllText(path), actual);
    }
}
