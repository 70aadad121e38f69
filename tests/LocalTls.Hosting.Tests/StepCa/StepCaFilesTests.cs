using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LocalTls.StepCa;

using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.StepCa;

public class StepCaFilesTests
{
    private static readonly LocalTls.Pki.CaMaterial Ca = TestCa.Default;

    private static StepCaOptions HostOptions() => new() { Address = "127.0.0.1:9000", DnsNames = ["localhost"] };

    [Fact]
    public void Render_lists_every_file_with_ca_json_last_and_keys_secret()
    {
        var files = StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem);

        Assert.Equal(
            ["certs/root_ca.crt", "certs/intermediate_ca.crt", "secrets/intermediate_ca_key", "config/defaults.json", "config/ca.json"],
            files.Files.Select(f => f.RelativePath));
        Assert.Equal(["secrets/intermediate_ca_key"], files.Files.Where(f => f.IsSecret).Select(f => f.RelativePath));
        Assert.False(files.PasswordProtected);
        Assert.Equal(["/home/step/config/ca.json"], files.Arguments());
        Assert.Equal(Ca.RootFingerprint, files.RootFingerprint);
        Assert.Contains($"\"fingerprint\": \"{Ca.RootFingerprint}\"", files["config/defaults.json"]!.Content);
        Assert.Contains("\"ca-url\": \"https://step-ca.step-ca.svc.cluster.local:9000\"", files["config/defaults.json"]!.Content);
        Assert.Equal(StepCaConfig.RenderCaJson(StepCaLayout.Container, new StepCaOptions()), files["config/ca.json"]!.Content);
    }

    [Fact]
    public void The_fingerprint_is_sha256_of_the_root_der_in_lowercase_hex()
    {
        var files = StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem);
        using var root = X509Certificate2.CreateFromPem(Ca.RootCertificatePem);
        Assert.Equal(root.GetCertHashString(HashAlgorithmName.SHA256).ToLowerInvariant(), files.RootFingerprint);
        Assert.Matches("^[0-9a-f]{64}$", files.RootFingerprint);
    }

    [Fact]
    public void A_password_encrypts_the_key_as_pkcs8_and_adds_the_password_file()
    {
        var files = StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem, password: "correct horse");

        Assert.True(files.PasswordProtected);
        Assert.Equal(["--password-file", "/home/step/secrets/password", "/home/step/config/ca.json"], files.Arguments());
        Assert.Equal("correct horse", files["secrets/password"]!.Content);
        Assert.True(files["secrets/password"]!.IsSecret);
        var encrypted = files["secrets/intermediate_ca_key"]!.Content;
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----\n", encrypted);

        using var original = ECDsa.Create();
        original.ImportFromPem(Ca.IntermediateKeyPem);
        using var decrypted = ECDsa.Create();
        decrypted.ImportFromEncryptedPem(encrypted, "correct horse");
        Assert.Equal(original.ExportParameters(true).D, decrypted.ExportParameters(true).D);
        Assert.ThrowsAny<CryptographicException>(() => ECDsa.Create().ImportFromEncryptedPem(encrypted, "wrong"));
    }

    [Fact]
    public void Dns_names_outside_the_roots_name_constraints_are_refused()
    {
        var options = new StepCaOptions();
        options.DnsNames.Add("step-ca");
        options.DnsNames.Add("ca.example.com");

        var e = Assert.Throws<StepCaException>(() => StepCaFiles.Render(StepCaLayout.Container, options, Ca));

        Assert.Contains("do not permit 'step-ca', 'ca.example.com' in StepCaOptions.DnsNames", e.Message);
        Assert.Contains("Remove them from DnsNames, or create the CA with them in CaOptions.PermittedDnsDomains", e.Message);
        var permitted = StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions { DnsNames = [.. StepCaOptions.ClusterServiceDnsNames, "localhost", "127.0.0.1", "::1"] }, Ca);
        var dnsNames = System.Text.Json.Nodes.JsonNode.Parse(permitted[StepCaLayout.CaConfigFile]!.Content)!["dnsNames"]!.AsArray().Select(n => (string?)n);
        Assert.Equal([.. StepCaOptions.ClusterServiceDnsNames, "localhost", "127.0.0.1", "::1"], dnsNames);
    }

    [Fact]
    public void An_encrypted_key_is_re_encrypted_with_its_password_and_refused_without_one()
    {
        var once = StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca, password: "pw")["secrets/intermediate_ca_key"]!.Content;

        var again = StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, once, password: "pw");
        using var key = ECDsa.Create();
        key.ImportFromEncryptedPem(again["secrets/intermediate_ca_key"]!.Content, "pw");

        var missing = Assert.Throws<StepCaException>(() => StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, once));
        Assert.Contains("encrypted but no password was given", missing.Message);
        var wrong = Assert.Throws<StepCaException>(() => StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, once, password: "other"));
        Assert.Contains("check the password", wrong.Message);
    }

    [Fact]
    public void An_rsa_intermediate_key_is_encrypted_too()
    {
        using var original = RSA.Create(2048);
        var files = StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, original.ExportRSAPrivateKeyPem(), password: "pw");
        using var key = RSA.Create();
        key.ImportFromEncryptedPem(files["secrets/intermediate_ca_key"]!.Content, "pw");
        Assert.Equal(original.ExportParameters(false).Modulus, key.ExportParameters(false).Modulus);
    }

    [Fact]
    public void A_password_with_trailing_whitespace_is_refused_because_step_ca_strips_it()
    {
        var e = Assert.Throws<StepCaException>(() => StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem, password: "secret\n"));
        Assert.Contains("step-ca strips", e.Message);
        Assert.Throws<StepCaException>(() => StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem, password: ""));
    }

    [Fact]
    public void Inputs_that_are_not_the_right_pem_are_refused_with_the_expected_block()
    {
        var options = new StepCaOptions();
        var root = Assert.Throws<StepCaException>(() => StepCaFiles.Render(StepCaLayout.Container, options, Ca.IntermediateKeyPem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem));
        Assert.Contains("The root certificate has no '-----BEGIN CERTIFICATE-----' block", root.Message);
        var key = Assert.Throws<StepCaException>(() => StepCaFiles.Render(StepCaLayout.Container, options, Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateCertificatePem));
        Assert.Contains("The intermediate key has no '-----BEGIN PRIVATE KEY-----' block", key.Message);
        var empty = Assert.Throws<StepCaException>(() => StepCaFiles.Render(StepCaLayout.Container, options, Ca.RootCertificatePem, " ", Ca.IntermediateKeyPem));
        Assert.Contains("The intermediate certificate is empty", empty.Message);
    }

    [Fact]
    public void Write_materialises_the_layout_with_private_secrets_and_a_db_folder()
    {
        using var temp = new TempDirectory();
        var layout = StepCaLayout.Host(temp.Path);
        var files = StepCaFiles.Write(layout, HostOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem, password: "pw");

        foreach (var file in files.Files)
        {
            Assert.Equal(file.Content, File.ReadAllText(layout.Resolve(file.RelativePath)));
        }

        Assert.True(Directory.Exists(layout.DbDirectory));
        Assert.Contains($"\"dataSource\": \"{layout.DbDirectory}\"", File.ReadAllText(layout.CaConfigPath));
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
        if (!OperatingSystem.IsWindows())
        {
            var privateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            var privateFolder = privateFile | UnixFileMode.UserExecute;
            Assert.Equal(privateFile, File.GetUnixFileMode(layout.IntermediateKeyPath));
            Assert.Equal(privateFile, File.GetUnixFileMode(layout.PasswordPath));
            Assert.Equal(privateFolder, File.GetUnixFileMode(layout.SecretsDirectory));
            Assert.Equal(privateFolder, File.GetUnixFileMode(layout.DbDirectory));
            Assert.True(File.GetUnixFileMode(layout.CaConfigPath).HasFlag(UnixFileMode.OtherRead));
        }
    }

    [Fact]
    public void Rewriting_replaces_files_keeps_the_db_and_drops_a_stale_password()
    {
        using var temp = new TempDirectory();
        var layout = StepCaLayout.Host(temp.Path);
        StepCaFiles.Write(layout, HostOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem, password: "pw");
        var marker = Path.Combine(layout.DbDirectory, "MANIFEST");
        File.WriteAllText(marker, "badger");

        var other = TestCa.Create("Other");
        StepCaFiles.Write(layout, HostOptions(), other.RootCertificatePem, other.IntermediateCertificatePem, other.IntermediateKeyPem);

        Assert.False(File.Exists(layout.PasswordPath));
        Assert.Equal(other.IntermediateKeyPem.Trim() + "\n", File.ReadAllText(layout.IntermediateKeyPath));
        Assert.Contains(other.RootFingerprint, File.ReadAllText(layout.DefaultsPath));
        Assert.Equal("badger", File.ReadAllText(marker));
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void Writing_the_container_layout_into_a_host_folder_keeps_container_paths_inside()
    {
        using var temp = new TempDirectory();
        var files = StepCaFiles.Render(StepCaLayout.Container, new StepCaOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem);
        StepCaFiles.Write(files, temp.Path);

        var caJson = File.ReadAllText(Path.Combine(temp.Path, "config", "ca.json"));
        Assert.Contains("\"root\": \"/home/step/certs/root_ca.crt\"", caJson);
        Assert.True(File.Exists(Path.Combine(temp.Path, "secrets", "intermediate_ca_key")));
        Assert.True(Directory.Exists(Path.Combine(temp.Path, "db")));
    }

    [Fact]
    public void An_unwritable_folder_fails_with_a_message_naming_it()
    {
        using var temp = new TempDirectory();
        var blocked = Path.Combine(temp.Path, "ca");
        File.WriteAllText(blocked, "a file where the folder should be");

        var e = Assert.Throws<StepCaException>(() => StepCaFiles.Write(StepCaLayout.Host(blocked), HostOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem));
        Assert.Contains($"Cannot write step-ca's files under '{blocked}'", e.Message);
        Assert.Contains("Choose a folder this process can create and write, or fix its permissions.", e.Message);
        Assert.Equal("a file where the folder should be", File.ReadAllText(blocked));
    }

    [Fact]
    public void A_failed_write_leaves_the_previous_file_whole_and_no_temporary_file()
    {
        using var temp = new TempDirectory();
        var layout = StepCaLayout.Host(temp.Path);
        StepCaFiles.Write(layout, HostOptions(), Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem);
        var before = File.ReadAllText(layout.CaConfigPath);

        // defaults.json becomes a folder, so writing it fails after the certificates were replaced and before ca.json.
        File.Delete(layout.DefaultsPath);
        Directory.CreateDirectory(layout.DefaultsPath);
        File.WriteAllText(Path.Combine(layout.DefaultsPath, "keep"), "x");
        var changed = HostOptions();
        changed.Address = "127.0.0.1:9001";

        var e = Assert.Throws<StepCaException>(() => StepCaFiles.Write(layout, changed, Ca.RootCertificatePem, Ca.IntermediateCertificatePem, Ca.IntermediateKeyPem));
        Assert.Contains($"Could not write step-ca's files under '{temp.Path}'", e.Message);
        Assert.Equal(before, File.ReadAllText(layout.CaConfigPath));
        Assert.Empty(Directory.EnumerateFiles(temp.Path, "*.tmp", SearchOption.AllDirectories));
    }
}
