using LocalTls.Trust;

namespace LocalTls.Tests.Trust;

/// <summary>The macOS keychain, Windows and Node.js: the command lines they would run, and "store absent" where they cannot run.</summary>
public class PlatformTrustStoreTests
{
    [Fact]
    public void Keychain_without_admin_rights_uses_the_login_keychain_with_user_trust_settings()
    {
        using var bed = new TrustBed();
        var runner = new RecordingRunner();
        var store = new KeychainTrustStore(new TrustOptions { Home = bed.Home, Platform = TrustPlatform.MacOS, Privileged = false, Runner = runner });
        var root = TrustedRoot.Load(bed.RootPath);
        var login = Path.Combine(bed.Home, "Library", "Keychains", "login.keychain-db");

        store.Install(root);

        Assert.Equal([$"security find-certificate -a -Z {login}", $"security add-trusted-cert -r trustRoot -k {login} {bed.RootPath}"], runner.Lines);
    }

    [Fact]
    public void Keychain_with_admin_rights_uses_the_system_keychain_with_admin_trust_settings_through_sudo_when_not_root()
    {
        using var bed = new TrustBed();
        var root = TrustedRoot.Load(bed.RootPath);
        var said = new List<string>();
        var sudo = new KeychainTrustStore(new TrustOptions { Home = bed.Home, SystemRoot = "/", Platform = TrustPlatform.MacOS, Privileged = false, UseSudo = true, Progress = said.Add });
        Assert.Equal($"sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {bed.RootPath}", sudo.InstallCommand(root).ToString());
        Assert.Contains(said, s => s.Contains("needs admin rights", StringComparison.Ordinal));

        var asRoot = new KeychainTrustStore(new TrustOptions { Home = bed.Home, SystemRoot = "/", Platform = TrustPlatform.MacOS, Privileged = true });
        Assert.Equal($"security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {bed.RootPath}", asRoot.InstallCommand(root).ToString());
    }

    [Fact]
    public void Keychain_status_finds_our_sha1_and_uninstall_deletes_exactly_that_certificate()
    {
        using var bed = new TrustBed();
        var root = TrustedRoot.Load(bed.RootPath);
        var login = Path.Combine(bed.Home, "Library", "Keychains", "login.keychain-db");
        var runner = new RecordingRunner(c => c.Arguments[0] == "find-certificate"
            ? new CommandResult(0, $"SHA-256 hash: 00\nSHA-1 hash: 0123456789ABCDEF0123456789ABCDEF01234567\nSHA-1 hash: {root.Sha1}\n", "")
            : new CommandResult(0, "", ""));
        var store = new KeychainTrustStore(new TrustOptions { Home = bed.Home, Platform = TrustPlatform.MacOS, Privileged = false, Runner = runner });

        Assert.Equal(TrustState.Trusted, store.Status(root).State);
        store.Uninstall(root);

        Assert.Equal($"security delete-certificate -Z {root.Sha1} -t {login}", runner.Lines.Last());
    }

    [Fact]
    public void On_linux_the_keychain_and_windows_stores_are_absent_and_change_nothing()
    {
        using var bed = new TrustBed();
        var root = TrustedRoot.Load(bed.RootPath);
        var runner = new RecordingRunner();
        var options = new TrustOptions { Home = bed.Home, Platform = TrustPlatform.Linux, Runner = runner };
        foreach (TrustStore store in new TrustStore[] { new KeychainTrustStore(options), new WindowsTrustStore(options) })
        {
            Assert.False(store.IsPresent);
            Assert.Equal(TrustState.StoreAbsent, store.Status(root).State);
            Assert.Contains("store absent", Assert.Throws<TrustException>(() => store.Install(root)).Message);
            Assert.Empty(store.Uninstall(root));
        }

        Assert.Empty(runner.Commands);
        Assert.Equal($"certutil -user -addstore Root {bed.RootPath}", WindowsTrustStore.EquivalentCommand(root).ToString());
        Assert.Equal($"certutil -user -delstore Root {root.Sha1}", WindowsTrustStore.EquivalentUninstallCommand(root).ToString());
    }

    [Fact]
    public void Node_prints_the_NODE_EXTRA_CA_CERTS_line_and_is_trusted_when_it_points_at_the_root()
    {
        using var bed = new TrustBed();
        var root = TrustedRoot.Load(bed.RootPath);
        NodeTrustStore With(string? value) => new(new TrustOptions { GetVariable = n => n == "NODE_EXTRA_CA_CERTS" ? value : null });

        var unset = With(null).Status(root);
        Assert.Equal(TrustState.NotTrusted, unset.State);
        Assert.Equal($"Add to your shell profile: export NODE_EXTRA_CA_CERTS=\"{bed.RootPath}\"", unset.Hint);
        Assert.Contains($"export NODE_EXTRA_CA_CERTS=\"{bed.RootPath}\"", Assert.Single(With(null).Install(root)));

        var bundle = bed.Temp.Combine("bundle.pem");
        File.WriteAllText(bundle, bed.Material.IntermediateCertificatePem + bed.Material.RootCertificatePem);
        Assert.Equal(TrustState.Trusted, With(bundle).Status(root).State);
        Assert.Equal(TrustState.NotTrusted, With("/etc/ssl/certs/ca-certificates.crt").Status(root).State);
    }

    [Fact]
    public void The_default_set_is_the_stores_present_for_this_user()
    {
        using var bed = new TrustBed();
        var systemRoot = bed.Temp.Combine("sysroot");
        Directory.CreateDirectory(Path.Combine(systemRoot, "etc", "pki", "ca-trust", "source", "anchors"));
        Directory.CreateDirectory(Path.Combine(bed.Home, ".mozilla", "firefox", "p.default"));
        File.WriteAllText(Path.Combine(bed.Home, ".mozilla", "firefox", "p.default", "cert9.db"), "");
        var options = new TrustOptions
        {
            Home = bed.Home, SystemRoot = systemRoot, Platform = TrustPlatform.Linux, GetVariable = _ => null,
            FindProgram = name => name is "certutil" or "update-ca-trust" ? "/usr/bin/" + name : null,
        };

        Assert.Equal(["system", "user", "nss"], TrustStores.Select(options, []).Select(s => s.Name));
        Assert.Equal(["user"], TrustStores.Select(new TrustOptions { Home = bed.Temp.Combine("empty-home"), SystemRoot = bed.Temp.Combine("empty"), Platform = TrustPlatform.Linux, GetVariable = _ => null, FindProgram = _ => null }, []).Select(s => s.Name));
    }
}
