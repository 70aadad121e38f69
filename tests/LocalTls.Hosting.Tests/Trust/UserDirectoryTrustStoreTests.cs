using LocalTls.Pki;
using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;
using LocalTls.Trust;

namespace LocalTls.Tests.Trust;

/// <summary>The per-user directory: OpenSSL's subject hash names, checked against openssl itself.</summary>
public class UserDirectoryTrustStoreTests
{
    public static TheoryData<string> Subjects() => new()
    {
        "/CN=Local Development Root CA",
        "/C=DE/O=Acme  Corp/OU=Platform Team/CN=UPPER case   Root",
        "/CN=  leading and trailing  /O=x",
        "/DC=test/DC=internal/CN=Ünïcode Root",
        "/O=Multi+OU=Valued/CN=rdn",
    };

    [Theory]
    [MemberData(nameof(Subjects))]
    public async Task The_subject_hash_matches_openssl_x509_hash(string subject)
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var dir = new TempDirectory();
        var key = dir.Combine("key.pem");
        var crt = dir.Combine("crt.pem");
        var made = await Tool.RunAsync(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
            "-days", "1", "-utf8", "-multivalue-rdn", "-subj", subject]);
        Assert.True(made.ExitCode == 0, made.Output);
        var hashed = await Tool.RunAsync(openssl, ["x509", "-hash", "-noout", "-in", crt]);
        Assert.True(hashed.ExitCode == 0, hashed.Output);

        Assert.Equal(hashed.Stdout.Trim(), OpenSslSubjectHash.Of(Pem.ReadCertificate(File.ReadAllText(crt), "test")));
    }

    [Fact]
    public async Task After_install_openssl_verify_finds_the_root_by_hash_in_the_directory_and_not_after_uninstall()
    {
        var openssl = Tool.Require("openssl", "openssl");
        using var bed = new TrustBed();
        var (leaf, _) = CaGenerator.IssueLeaf(bed.Material, ["web.127.0.0.1.sslip.io"], TimeSpan.FromHours(1));
        var leafPath = bed.Temp.Combine("leaf.pem");
        File.WriteAllText(leafPath, Pem.EncodeCertificate(leaf));
        var intermediatePath = Path.Combine(bed.CaRoot, "intermediate_ca.crt");
        var store = new UserDirectoryTrustStore(new TrustOptions { Home = bed.Home, GetVariable = _ => null });
        var root = TrustedRoot.Load(bed.RootPath);
        Task<Tool.Result> Verify() => Tool.RunAsync(openssl, ["verify", "-no-CAfile", "-no-CAstore", "-CApath", store.Directory, "-untrusted", intermediatePath, leafPath]);

        var done = store.Install(root);

        var file = Path.Combine(store.Directory, OpenSslSubjectHash.Of(root.Certificate) + ".0");
        Assert.Equal(bed.Material.RootCertificatePem, File.ReadAllText(file));
        Assert.Contains(done, l => l.Contains($"export SSL_CERT_DIR=\"{store.Directory}:", StringComparison.Ordinal));
        var verified = await Verify();
        Assert.True(verified.ExitCode == 0, verified.Output);

        store.Uninstall(root);
        Assert.False(File.Exists(file));
        Assert.NotEqual(0, (await Verify()).ExitCode);
    }

    [Fact]
    public void A_different_certificate_with_the_same_hash_is_kept_and_ours_takes_the_next_number()
    {
        using var bed = new TrustBed();
        var store = new UserDirectoryTrustStore(new TrustOptions { Home = bed.Home, GetVariable = _ => null });
        var root = TrustedRoot.Load(bed.RootPath);
        var hash = OpenSslSubjectHash.Of(root.Certificate);
        Directory.CreateDirectory(store.Directory);
        // Same subject, other key: the same hash, as after rotating a CA with 'ca init --force'.
        var rotated = TestCa.Create("LocalTls Trust Test").RootCertificatePem;
        File.WriteAllText(Path.Combine(store.Directory, hash + ".0"), rotated);

        store.Install(root);
        Assert.Equal(root.Pem, File.ReadAllText(Path.Combine(store.Directory, hash + ".1")));
        store.Uninstall(root);

        Assert.Equal(rotated, File.ReadAllText(Path.Combine(store.Directory, hash + ".0")));
        Assert.False(File.Exists(Path.Combine(store.Directory, hash + ".1")));
    }

    [Fact]
    public void Status_is_trusted_only_when_the_file_is_there_and_SSL_CERT_DIR_lists_the_directory()
    {
        using var bed = new TrustBed();
        var root = TrustedRoot.Load(bed.RootPath);
        var directory = new UserDirectoryTrustStore(new TrustOptions { Home = bed.Home }).Directory;
        UserDirectoryTrustStore With(string? sslCertDir) =>
            new(new TrustOptions { Home = bed.Home, GetVariable = name => name == "SSL_CERT_DIR" ? sslCertDir : null, FindProgram = _ => null });

        Assert.Equal(TrustState.NotTrusted, With(directory).Status(root).State);
        With(null).Install(root);

        var unlisted = With("/etc/ssl/certs").Status(root);
        Assert.Equal(TrustState.NotTrusted, unlisted.State);
        Assert.Equal($"Add to your shell profile: export SSL_CERT_DIR=\"{directory}:/etc/ssl/certs\"", unlisted.Hint);
        Assert.Equal(TrustState.Trusted, With($"{directory}:/etc/ssl/certs").Status(root).State);
    }
}
