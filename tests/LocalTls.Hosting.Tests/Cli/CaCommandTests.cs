using LocalTls.Pki;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Cli;

public class CaCommandTests
{
    [Fact]
    public void Init_creates_once_and_prints_the_fingerprint_then_reuses()
    {
        using var dir = new TempDirectory();
        var first = LocalTlsCli.Run("ca", "init", "--caroot", dir.Path);
        Assert.Equal(0, first.ExitCode);
        var fingerprint = new CaStore(dir.Path).Load().RootFingerprint;
        Assert.Contains("Created a new CA", first.Stdout);
        Assert.Contains(fingerprint, first.Stdout);

        var second = LocalTlsCli.Run("ca", "init", "--caroot", dir.Path);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("Using the existing CA", second.Stdout);
        Assert.Contains(fingerprint, second.Stdout);

        var forced = LocalTlsCli.Run("ca", "init", "--caroot", dir.Path, "--force", "--key-type", "rsa", "--root-cn", "Team Root");
        Assert.Equal(0, forced.ExitCode);
        var rotated = new CaStore(dir.Path).Load();
        Assert.NotEqual(fingerprint, rotated.RootFingerprint);
        Assert.Equal("Team Root", rotated.RootCommonName);
    }

    [Fact]
    public void Show_prints_pem_ca_bundle_and_json()
    {
        using var dir = new TempDirectory();
        var material = new CaStore(dir.Path).LoadOrCreate();
        Assert.Equal(material.RootCertificatePem, LocalTlsCli.Run("ca", "show", "--caroot", dir.Path, "--format", "pem").Stdout);
        Assert.Equal(material.CaBundleBase64, LocalTlsCli.Run("ca", "show", "--caroot", dir.Path, "--format", "ca-bundle").Stdout.Trim());
        var json = System.Text.Json.JsonDocument.Parse(LocalTlsCli.Run("ca", "show", "--caroot", dir.Path, "--format", "json").Stdout);
        Assert.Equal(material.RootFingerprint, json.RootElement.GetProperty("fingerprint").GetString());
        Assert.True(json.RootElement.GetProperty("hasRootKey").GetBoolean());
    }

    [Fact]
    public void Show_without_a_ca_says_how_to_create_one()
    {
        using var dir = new TempDirectory();
        var result = LocalTlsCli.Run("ca", "show", "--caroot", dir.Path);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("localtls ca init", result.Stderr);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    [Fact]
    public void Import_reads_files_and_keeps_the_fingerprint()
    {
        using var dir = new TempDirectory();
        var source = CaGenerator.Create();
        File.WriteAllText(dir.Combine("root.crt"), source.RootCertificatePem);
        File.WriteAllText(dir.Combine("int.crt"), source.IntermediateCertificatePem);
        File.WriteAllText(dir.Combine("int.key"), Pem.EncodeEncryptedPrivateKey(source.IntermediateKey, "pw"));
        File.WriteAllText(dir.Combine("pw"), "pw\n");
        var result = LocalTlsCli.Run("ca", "import", "--caroot", dir.Combine("store"), "--root", dir.Combine("root.crt"),
            "--intermediate", dir.Combine("int.crt"), "--intermediate-key", dir.Combine("int.key"), "--password-file", dir.Combine("pw"));
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains(source.RootFingerprint, result.Stdout);
        Assert.Equal(source.IntermediateKeyPem, File.ReadAllText(dir.Combine("store", "intermediate_ca.key")));
    }

    [Fact]
    public void Import_of_a_missing_file_or_bad_pem_is_exit_2_with_the_reason_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var missing = LocalTlsCli.Run("ca", "import", "--caroot", dir.Combine("store"), "--root", dir.Combine("nope.crt"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--root", missing.Stderr);
        Assert.Contains("nope.crt", missing.Stderr);

        File.WriteAllText(dir.Combine("bad.crt"), "hello");
        var bad = LocalTlsCli.Run("ca", "import", "--caroot", dir.Combine("store"), "--root", dir.Combine("bad.crt"), "--root-key", dir.Combine("bad.crt"));
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("not PEM", bad.Stderr);
        Assert.False(File.Exists(dir.Combine("store", "root_ca.crt")));
    }

    [Fact]
    public void Bad_options_are_exit_2_even_when_a_ca_exists()
    {
        using var dir = new TempDirectory();
        new CaStore(dir.Path).LoadOrCreate();
        var result = LocalTlsCli.Run("ca", "init", "--caroot", dir.Path, "--permit-ip", "10.0.0.0/33");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("CIDR", result.Stderr);
    }

    [Fact]
    public void Unknown_commands_are_exit_1_and_an_unwritable_store_is_exit_3()
    {
        Assert.Equal(1, LocalTlsCli.Run("ca", "bogus").ExitCode);
        Assert.Equal(1, LocalTlsCli.Run("ca", "init", "--key-type", "dsa").ExitCode);
        using var dir = new TempDirectory();
        File.WriteAllText(dir.Combine("file"), "x");
        var result = LocalTlsCli.Run("ca", "init", "--caroot", dir.Combine("file", "store"));
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("LOCALTLS_CAROOT", result.Stderr);
    }
}
