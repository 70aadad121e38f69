using System.Text.Json;
using LocalTls.Pki;
using LocalTls.Tests.Cli;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Trust;

/// <summary><c>localtls trust</c>: exit codes, messages, and that bad input changes nothing.</summary>
public class TrustCommandTests
{
    [Fact]
    public async Task A_file_that_is_not_a_pem_certificate_is_exit_2_says_what_to_give_and_changes_nothing()
    {
        using var bed = new TrustBed();
        var db = await bed.NewNssDatabaseAsync(".pki", "nssdb");
        var before = await TrustBed.NssListAsync(db);
        var notPem = bed.Temp.Combine("root.der");
        File.WriteAllBytes(notPem, bed.Material.GetRootCertificate().RawData);
        var key = bed.Temp.Combine("key.pem");
        File.WriteAllText(key, bed.Material.IntermediateKeyPem);

        var der = bed.Cli("trust", "install", "--store", "nss", "--store", "user", "--root", notPem);
        var keyOnly = bed.Cli("trust", "install", "--store", "nss", "--store", "user", "--root", key);
        var missing = bed.Cli("trust", "install", "--store", "nss", "--root", bed.Temp.Combine("nope.crt"));

        Assert.Equal(2, der.ExitCode);
        Assert.Contains("openssl x509 -inform der", der.Stderr);
        Assert.Equal(2, keyOnly.ExitCode);
        Assert.Contains("holds no certificate", keyOnly.Stderr);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.crt", missing.Stderr);
        foreach (var result in new[] { der, keyOnly, missing })
        {
            Assert.DoesNotContain("   at ", result.Stderr);
            Assert.Equal("", result.Stdout);
        }

        Assert.Equal(before, await TrustBed.NssListAsync(db));
        Assert.False(Directory.Exists(Path.Combine(bed.Home, ".local", "share", "localtls", "trust")));
    }

    [Fact]
    public async Task A_leaf_or_intermediate_certificate_is_refused_as_a_root_and_changes_nothing()
    {
        using var bed = new TrustBed();
        var db = await bed.NewNssDatabaseAsync(".pki", "nssdb");
        var before = await TrustBed.NssListAsync(db);
        var (leaf, _) = CaGenerator.IssueLeaf(bed.Material, ["web.127.0.0.1.sslip.io"], TimeSpan.FromHours(1));
        var leafPath = bed.Temp.Combine("leaf.pem");
        File.WriteAllText(leafPath, Pem.EncodeCertificate(leaf));

        var leafResult = bed.Cli("trust", "install", "--store", "nss", "--root", leafPath);
        var intermediate = bed.Cli("trust", "install", "--store", "nss", "--root", Path.Combine(bed.CaRoot, "intermediate_ca.crt"));

        Assert.Equal(2, leafResult.ExitCode);
        Assert.Contains("is not a CA certificate", leafResult.Stderr);
        Assert.Contains("Give a CA certificate", leafResult.Stderr);
        Assert.Equal(2, intermediate.ExitCode);
        Assert.Contains("not self-signed", intermediate.Stderr);
        Assert.Equal(before, await TrustBed.NssListAsync(db));
    }

    [Fact]
    public async Task An_unknown_store_is_exit_2_lists_the_store_names_and_changes_no_store()
    {
        using var bed = new TrustBed();
        var db = await bed.NewNssDatabaseAsync(".pki", "nssdb");
        var before = await TrustBed.NssListAsync(db);

        var result = bed.Cli("trust", "install", "--store", "nss", "--store", "firefox");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unknown store 'firefox'", result.Stderr);
        Assert.Contains("system, user, nss, java, keychain, windows, node", result.Stderr);
        Assert.Equal(before, await TrustBed.NssListAsync(db));
    }

    [Fact]
    public void Without_a_ca_it_says_how_to_create_one()
    {
        using var dir = new TempDirectory();
        var result = LocalTlsCli.Run("trust", "status", "--caroot", dir.Combine("empty"), "--home", dir.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("localtls ca init", result.Stderr);
        Assert.Contains("--root FILE", result.Stderr);
    }

    [Fact]
    public async Task Status_json_reports_each_store_and_follows_install()
    {
        using var bed = new TrustBed();
        await bed.NewNssDatabaseAsync(".mozilla", "firefox", "p.default");
        string State(CliResult r, string store) =>
            JsonDocument.Parse(r.Stdout).RootElement.GetProperty("stores").EnumerateArray().Single(s => s.GetProperty("store").GetString() == store).GetProperty("state").GetString()!;

        var before = bed.Cli("trust", "status", "--store", "nss", "--store", "keychain", "--format", "json");
        Assert.True(before.ExitCode == 0, before.Stderr);
        Assert.Equal(bed.Material.RootFingerprint, JsonDocument.Parse(before.Stdout).RootElement.GetProperty("fingerprint").GetString());
        Assert.Equal("not trusted", State(before, "nss"));
        Assert.Equal("store absent", State(before, "keychain"));

        Assert.Equal(0, bed.Cli("trust", "install", "--store", "nss").ExitCode);
        Assert.Equal("trusted", State(bed.Cli("trust", "status", "--store", "nss", "--format", "json"), "nss"));
    }

    [Fact]
    public void Installing_into_an_absent_store_is_exit_3_with_the_reason_and_the_other_stores_still_change()
    {
        using var bed = new TrustBed();
        var result = bed.Cli("trust", "install", "--store", "keychain", "--store", "user");
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("error: keychain: macOS keychain: store absent: not a macOS machine.", result.Stderr);
        Assert.Contains("user: Wrote ", result.Stdout);
        Assert.Contains("export SSL_CERT_DIR=", result.Stdout);
    }

    [Fact]
    public void Node_install_prints_the_NODE_EXTRA_CA_CERTS_line_for_the_ca_stores_root()
    {
        using var bed = new TrustBed();
        var result = bed.Cli("trust", "install", "--store", "node");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains($"export NODE_EXTRA_CA_CERTS=\"{bed.RootPath}\"", result.Stdout);
    }

    [Fact]
    public void Root_trusts_that_file_instead_of_the_ca_stores_root()
    {
        using var bed = new TrustBed();
        using var other = new TrustBed(LocalTls.Tests.StepCa.TestCa.Create("Other"));
        var trustDir = Path.Combine(bed.Home, ".local", "share", "localtls", "trust");

        var result = bed.Cli("trust", "install", "--store", "user", "--root", other.RootPath);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains($"Trusting Other Root (SHA-256 {other.Material.RootFingerprint}, {other.RootPath}):", result.Stdout);
        Assert.Equal(other.Material.RootCertificatePem, File.ReadAllText(Assert.Single(Directory.GetFiles(trustDir))));
        Assert.Matches(@"user\s+not trusted\s+no copy", bed.Cli("trust", "status", "--store", "user").Stdout);
    }
}
