using LocalTls.Pki;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.Pki;

public class CaStoreTests
{
    private static Dictionary<string, string> Snapshot(string dir) =>
        Directory.Exists(dir)
            ? Directory.GetFiles(dir).Where(f => !f.EndsWith(".lock")).ToDictionary(f => Path.GetFileName(f), File.ReadAllText)
            : [];

    [Fact]
    public void Create_once_then_reuse_forever_and_force_rotates()
    {
        using var dir = new TempDirectory();
        var store = new CaStore(dir.Path);
        Assert.False(store.Exists);

        var first = store.LoadOrCreate();
        Assert.True(store.Exists);
        var again = new CaStore(dir.Path).LoadOrCreate();
        Assert.Equal(first.RootFingerprint, again.RootFingerprint);
        Assert.Equal(first.IntermediateKeyPem, again.IntermediateKeyPem);
        Assert.NotNull(again.RootKeyPem);

        var rotated = store.LoadOrCreate(force: true);
        Assert.NotEqual(first.RootFingerprint, rotated.RootFingerprint);
        Assert.Equal(rotated.RootFingerprint, store.Load().RootFingerprint);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Keys_are_0600_and_certificates_are_world_readable()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "Unix file modes exist only on Unix.");
        using var dir = new TempDirectory();
        var store = new CaStore(dir.Path);
        store.LoadOrCreate();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.IntermediateKeyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(store.RootKeyPath));
        Assert.True(File.GetUnixFileMode(store.RootCertificatePath).HasFlag(UnixFileMode.OtherRead));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    [Fact]
    public void Default_directory_honours_LOCALTLS_CAROOT_then_XDG_DATA_HOME()
    {
        var savedRoot = Environment.GetEnvironmentVariable(CaStore.DirectoryVariable);
        var savedXdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        try
        {
            Environment.SetEnvironmentVariable(CaStore.DirectoryVariable, "/tmp/some-caroot");
            Assert.Equal("/tmp/some-caroot", CaStore.DefaultDirectory());
            Assert.Equal("/tmp/some-caroot", new CaStore().Directory);
            Environment.SetEnvironmentVariable(CaStore.DirectoryVariable, null);
            if (OperatingSystem.IsLinux())
            {
                Environment.SetEnvironmentVariable("XDG_DATA_HOME", "/tmp/xdg");
                Assert.Equal("/tmp/xdg/localtls", CaStore.DefaultDirectory());
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(CaStore.DirectoryVariable, savedRoot);
            Environment.SetEnvironmentVariable("XDG_DATA_HOME", savedXdg);
        }
    }

    [Fact]
    public void Import_of_a_full_ca_keeps_its_fingerprint()
    {
        var source = CaGenerator.Create();
        using var dir = new TempDirectory();
        var store = new CaStore(dir.Path);
        var imported = store.Import(source.RootCertificatePem, null, source.IntermediateCertificatePem, source.IntermediateKeyPem);
        Assert.Equal(source.RootFingerprint, imported.RootFingerprint);
        Assert.Null(imported.RootKeyPem);
        Assert.False(File.Exists(store.RootKeyPath));
        Assert.Equal(source.RootFingerprint, store.Load().RootFingerprint);
    }

    [Fact]
    public void Import_of_a_root_with_its_key_signs_a_new_intermediate()
    {
        var source = CaGenerator.Create();
        using var dir = new TempDirectory();
        var imported = new CaStore(dir.Path).Import(source.RootCertificatePem, source.RootKeyPem, null, null);
        Assert.Equal(source.RootFingerprint, imported.RootFingerprint);
        Assert.NotEqual(source.IntermediateCertificatePem, imported.IntermediateCertificatePem);
    }

    [Fact]
    public void Import_of_encrypted_keys_needs_the_password()
    {
        var source = CaGenerator.Create();
        var encrypted = Pem.EncodeEncryptedPrivateKey(source.IntermediateKey, "s3cret");
        Assert.Contains("BEGIN ENCRYPTED PRIVATE KEY", encrypted);
        using var dir = new TempDirectory();
        var store = new CaStore(dir.Path);
        Assert.Contains("is encrypted", Assert.Throws<PkiException>(() => store.Import(source.RootCertificatePem, null, source.IntermediateCertificatePem, encrypted)).Message);
        Assert.Contains("check the password", Assert.Throws<PkiException>(() => store.Import(source.RootCertificatePem, null, source.IntermediateCertificatePem, encrypted, password: "wrong")).Message);
        var imported = store.Import(source.RootCertificatePem, null, source.IntermediateCertificatePem, encrypted, password: "s3cret");
        Assert.Equal(source.IntermediateKeyPem, imported.IntermediateKeyPem);
    }

    public static TheoryData<string, string> BadImports()
    {
        var ca = CaGenerator.Create();
        var other = CaGenerator.Create();
        var (leaf, leafKey) = CaGenerator.IssueLeaf(ca, ["app.127.0.0.1.sslip.io"], TimeSpan.FromDays(1));
        var expired = CaGenerator.Create(new CaOptions { RootValidity = TimeSpan.FromDays(2), IntermediateValidity = TimeSpan.FromDays(1) },
            new FixedTime(DateTimeOffset.UtcNow.AddDays(-30)));
        var future = CaGenerator.Create(null, new FixedTime(DateTimeOffset.UtcNow.AddDays(30)));
        return new TheoryData<string, string>
        {
            { "garbage|" + ca.RootKeyPem + "|" + ca.IntermediateCertificatePem + "|" + ca.IntermediateKeyPem, "not PEM" },
            { "|" + ca.RootKeyPem + "|" + ca.IntermediateCertificatePem + "|" + ca.IntermediateKeyPem, "is empty" },
            { ca.IntermediateKeyPem + "|-|" + ca.IntermediateCertificatePem + "|" + ca.IntermediateKeyPem, "holds no certificate" },
            { "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n|-|" + ca.IntermediateCertificatePem + "|" + ca.IntermediateKeyPem, "not a valid X.509 certificate" },
            { ca.RootCertificatePem + "|" + other.RootKeyPem + "|" + ca.IntermediateCertificatePem + "|" + ca.IntermediateKeyPem, "root private key does not belong" },
            { ca.RootCertificatePem + "|-|" + ca.IntermediateCertificatePem + "|" + other.IntermediateKeyPem, "intermediate private key does not belong" },
            { Pem.EncodeCertificate(leaf) + "|" + Pem.EncodePrivateKey(leafKey) + "|-|-", "not a CA certificate" },
            { ca.IntermediateCertificatePem + "|-|" + ca.IntermediateCertificatePem + "|" + ca.IntermediateKeyPem, "not self-signed" },
            { other.RootCertificatePem + "|-|" + ca.IntermediateCertificatePem + "|" + ca.IntermediateKeyPem, "not signed by the root" },
            { expired.RootCertificatePem + "|-|" + expired.IntermediateCertificatePem + "|" + expired.IntermediateKeyPem, "expired on" },
            { future.RootCertificatePem + "|-|" + future.IntermediateCertificatePem + "|" + future.IntermediateKeyPem, "is not valid until" },
            { ca.RootCertificatePem + "|-|-|-", "needs the root key" },
            { ca.RootCertificatePem + "|-|" + ca.IntermediateCertificatePem + "|-", "without its key" },
            { ca.RootCertificatePem + "|-|" + ca.IntermediateCertificatePem + "|" + ca.IntermediateCertificatePem, "holds no private key" },
        };
    }

    [Theory]
    [MemberData(nameof(BadImports))]
    public void Bad_imports_fail_with_a_clear_message_and_leave_the_store_untouched(string parts, string expected)
    {
        var p = parts.Split('|').Select(s => s == "-" ? null : s).ToArray();
        using var dir = new TempDirectory();
        var store = new CaStore(dir.Path);
        var existing = store.LoadOrCreate();
        var before = Snapshot(dir.Path);

        var ex = Assert.Throws<PkiException>(() => store.Import(p[0]!, p[1], p[2], p[3], force: true));
        Assert.Contains(expected, ex.Message);
        Assert.Equal(before, Snapshot(dir.Path));
        Assert.Equal(existing.RootFingerprint, store.Load().RootFingerprint);
    }

    [Fact]
    public void Import_over_an_existing_ca_needs_force()
    {
        using var dir = new TempDirectory();
        var store = new CaStore(dir.Path);
        var existing = store.LoadOrCreate();
        var other = CaGenerator.Create();
        var ex = Assert.Throws<PkiException>(() => store.Import(other.RootCertificatePem, null, other.IntermediateCertificatePem, other.IntermediateKeyPem));
        Assert.Contains("--force", ex.Message);
        Assert.Contains(existing.RootFingerprint, ex.Message);
        Assert.Equal(existing.RootFingerprint, store.Load().RootFingerprint);
        store.Import(other.RootCertificatePem, null, other.IntermediateCertificatePem, other.IntermediateKeyPem, force: true);
        Assert.Equal(other.RootFingerprint, store.Load().RootFingerprint);
        Assert.False(File.Exists(store.RootKeyPath));
    }

    [Fact]
    public void An_unwritable_store_says_so_and_writes_nothing()
    {
        using var dir = new TempDirectory();
        var blocker = dir.Combine("a-file");
        File.WriteAllText(blocker, "not a directory");
        var store = new CaStore(Path.Combine(blocker, "caroot"));
        var ex = Assert.Throws<IOException>(() => store.LoadOrCreate());
        Assert.Contains(CaStore.DirectoryVariable, ex.Message);
        Assert.Equal(["a-file"], Directory.GetFileSystemEntries(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Load_of_an_empty_store_says_how_to_create_one()
    {
        using var dir = new TempDirectory();
        var ex = Assert.Throws<PkiException>(() => new CaStore(dir.Path).Load());
        Assert.Contains("localtls ca init", ex.Message);
    }
}
