using LocalTls.Trust;

namespace LocalTls.Tests.Trust;

/// <summary>The Linux system store against a temporary system root: the family's directory and update command, sudo only when needed. No update command really runs.</summary>
public class LinuxSystemTrustStoreTests
{
    public static TheoryData<string, string, string, string> FamilyLayouts() => new()
    {
        { "usr/local/share/ca-certificates", ".crt", "update-ca-certificates", "etc/ssl/certs/ca-certificates.crt" },
        { "etc/pki/ca-trust/source/anchors", ".pem", "update-ca-trust extract", "etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem" },
        { "etc/ca-certificates/trust-source/anchors", ".crt", "trust extract-compat", "etc/ca-certificates/extracted/tls-ca-bundle.pem" },
        { "etc/pki/trust/anchors", ".pem", "update-ca-certificates", "var/lib/ca-certificates/ca-bundle.pem" },
    };

    [Theory]
    [MemberData(nameof(FamilyLayouts))]
    public void Install_writes_the_anchor_in_the_familys_directory_runs_its_update_command_and_uninstall_removes_only_it(string anchors, string extension, string update, string bundle)
    {
        using var bed = new TrustBed();
        var systemRoot = bed.Temp.Combine("sysroot");
        Directory.CreateDirectory(Path.Combine(systemRoot, anchors));
        var unrelated = Path.Combine(systemRoot, anchors, "corporate-proxy" + extension);
        File.WriteAllText(unrelated, "someone else's root");
        var runner = Updating(Path.Combine(systemRoot, anchors), Path.Combine(systemRoot, bundle));
        var store = new LinuxSystemTrustStore(Options(bed, systemRoot, runner, privileged: true));
        var root = TrustedRoot.Load(bed.RootPath);

        Assert.Equal(TrustState.NotTrusted, store.Status(root).State);
        store.Install(root);

        var anchor = Path.Combine(systemRoot, anchors, $"localtls-root-{bed.Material.RootFingerprint[..16]}{extension}");
        Assert.Equal(bed.Material.RootCertificatePem, File.ReadAllText(anchor));
        Assert.Equal([update], runner.Lines);
        Assert.Equal(TrustState.Trusted, store.Status(root).State);

        store.Uninstall(root);
        Assert.False(File.Exists(anchor));
        Assert.Equal("someone else's root", File.ReadAllText(unrelated));
        Assert.Equal([update, update], runner.Lines);
        Assert.Equal(TrustState.NotTrusted, store.Status(root).State);
    }

    [Fact]
    public void An_anchor_the_update_command_has_not_taken_in_yet_is_not_trusted_and_install_only_runs_the_update()
    {
        using var bed = new TrustBed();
        var systemRoot = bed.Temp.Combine("sysroot");
        var anchors = Path.Combine(systemRoot, "usr", "local", "share", "ca-certificates");
        Directory.CreateDirectory(anchors);
        var root = TrustedRoot.Load(bed.RootPath);
        var anchor = Path.Combine(anchors, $"localtls-root-{bed.Material.RootFingerprint[..16]}.crt");
        File.WriteAllText(anchor, root.Pem);
        var runner = Updating(anchors, Path.Combine(systemRoot, "etc", "ssl", "certs", "ca-certificates.crt"));
        var store = new LinuxSystemTrustStore(Options(bed, systemRoot, runner, privileged: true));

        var status = store.Status(root);
        Assert.Equal(TrustState.NotTrusted, status.State);
        Assert.Contains("does not hold it yet", status.Detail);
        Assert.Equal("Run 'sudo update-ca-certificates' (or 'localtls trust install --store system').", status.Hint);

        store.Install(root);
        Assert.Equal(["update-ca-certificates"], runner.Lines);
        Assert.Equal(TrustState.Trusted, store.Status(root).State);
    }

    [Fact]
    public void Without_root_rights_install_and_uninstall_go_through_sudo_and_say_so_first()
    {
        using var bed = new TrustBed();
        var systemRoot = bed.Temp.Combine("sysroot");
        var anchors = Path.Combine(systemRoot, "usr", "local", "share", "ca-certificates");
        Directory.CreateDirectory(anchors);
        var runner = new RecordingRunner();
        var said = new List<string>();
        var store = new LinuxSystemTrustStore(Options(bed, systemRoot, runner, privileged: false, useSudo: true, progress: said.Add));
        var root = TrustedRoot.Load(bed.RootPath);
        var anchor = Path.Combine(anchors, $"localtls-root-{bed.Material.RootFingerprint[..16]}.crt");

        store.Install(root);

        Assert.Equal([$"sudo install -m 0644 {bed.RootPath} {anchor}", "sudo update-ca-certificates"], runner.Lines);
        Assert.Contains(said, s => s.Contains("needs root, so this runs sudo", StringComparison.Ordinal) && s.Contains(anchor, StringComparison.Ordinal));
        // The recorded sudo did not write; this process must not have written either.
        Assert.False(File.Exists(anchor));

        File.WriteAllText(anchor, root.Pem);
        runner.Commands.Clear();
        store.Uninstall(root);
        Assert.Equal([$"sudo rm -f {anchor}", "sudo update-ca-certificates"], runner.Lines);
    }

    [Fact]
    public void As_root_no_sudo_is_used()
    {
        using var bed = new TrustBed();
        var systemRoot = bed.Temp.Combine("sysroot");
        Directory.CreateDirectory(Path.Combine(systemRoot, "etc", "pki", "ca-trust", "source", "anchors"));
        var runner = new RecordingRunner();
        var said = new List<string>();
        new LinuxSystemTrustStore(Options(bed, systemRoot, runner, privileged: true, progress: said.Add)).Install(TrustedRoot.Load(bed.RootPath));
        Assert.DoesNotContain(runner.Commands, c => c.FileName == "sudo");
        Assert.Empty(said);
    }

    [Fact]
    public void Without_root_rights_sudo_is_chosen_only_when_the_directory_is_not_writable()
    {
        using var bed = new TrustBed();
        var systemRoot = bed.Temp.Combine("sysroot");
        Directory.CreateDirectory(Path.Combine(systemRoot, "usr", "local", "share", "ca-certificates"));
        var root = TrustedRoot.Load(bed.RootPath);

        var writable = new RecordingRunner();
        new LinuxSystemTrustStore(Options(bed, systemRoot, writable, privileged: false, writableDirectories: true)).Install(root);
        Assert.Equal(["update-ca-certificates"], writable.Lines);

        using var other = new TrustBed();
        var locked = new RecordingRunner();
        new LinuxSystemTrustStore(Options(bed, systemRoot, locked, privileged: false, writableDirectories: false)).Install(TrustedRoot.Load(other.RootPath));
        Assert.Equal("sudo", locked.Commands[0].FileName);
        Assert.Equal("sudo update-ca-certificates", locked.Lines.Last());
    }

    [Fact]
    public void Without_sudo_and_without_root_rights_install_says_to_run_as_root_and_changes_nothing()
    {
        using var bed = new TrustBed();
        var systemRoot = bed.Temp.Combine("sysroot");
        var anchors = Path.Combine(systemRoot, "usr", "local", "share", "ca-certificates");
        Directory.CreateDirectory(anchors);
        var runner = new RecordingRunner();
        var store = new LinuxSystemTrustStore(Options(bed, systemRoot, runner, privileged: false, writableDirectories: false,
            find: name => name == "sudo" ? null : "/usr/sbin/" + name));

        var e = Assert.Throws<TrustException>(() => store.Install(TrustedRoot.Load(bed.RootPath)));

        Assert.Contains("sudo is not installed", e.Message);
        Assert.Contains("as root", e.Message);
        Assert.Empty(runner.Commands);
        Assert.Empty(Directory.GetFiles(anchors));
    }

    [Fact]
    public void No_known_anchor_directory_is_store_absent_and_a_missing_update_command_is_tool_missing_with_the_package()
    {
        using var bed = new TrustBed();
        var systemRoot = bed.Temp.Combine("sysroot");
        Directory.CreateDirectory(systemRoot);
        var root = TrustedRoot.Load(bed.RootPath);
        var absent = new LinuxSystemTrustStore(Options(bed, systemRoot, new RecordingRunner(), privileged: true));
        Assert.False(absent.IsPresent);
        Assert.Equal(TrustState.StoreAbsent, absent.Status(root).State);
        Assert.Contains("usr/local/share/ca-certificates", absent.Status(root).Detail);
        Assert.Contains("store absent", Assert.Throws<TrustException>(() => absent.Install(root)).Message);

        Directory.CreateDirectory(Path.Combine(systemRoot, "usr", "local", "share", "ca-certificates"));
        var runner = new RecordingRunner();
        var missing = new LinuxSystemTrustStore(Options(bed, systemRoot, runner, privileged: true, find: _ => null));
        var status = missing.Status(root);
        Assert.Equal(TrustState.ToolMissing, status.State);
        Assert.Contains("apt-get install ca-certificates", status.Hint);
        Assert.Contains("apt-get install ca-certificates", Assert.Throws<TrustException>(() => missing.Install(root)).Message);
        Assert.Empty(runner.Commands);
        Assert.Empty(Directory.GetFiles(Path.Combine(systemRoot, "usr", "local", "share", "ca-certificates")));
    }

    [Fact]
    public void A_failing_update_command_is_reported_with_its_output()
    {
        using var bed = new TrustBed();
        var systemRoot = bed.Temp.Combine("sysroot");
        Directory.CreateDirectory(Path.Combine(systemRoot, "etc", "pki", "trust", "anchors"));
        var runner = new RecordingRunner(_ => new CommandResult(1, "", "p11-kit: cannot write"));
        var e = Assert.Throws<TrustException>(() => new LinuxSystemTrustStore(Options(bed, systemRoot, runner, privileged: true)).Install(TrustedRoot.Load(bed.RootPath)));
        Assert.Contains("'update-ca-certificates' failed (exit 1): p11-kit: cannot write", e.Message);
    }

    /// <summary>Stands in for the family's update command: writes every anchor into the bundle, as the real one does.</summary>
    private static RecordingRunner Updating(string anchors, string bundle) => new(command =>
    {
        if (command.FileName is "update-ca-certificates" or "update-ca-trust" or "trust")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(bundle)!);
            File.WriteAllText(bundle, "# extracted\n" + string.Concat(Directory.GetFiles(anchors).Order(StringComparer.Ordinal).Select(File.ReadAllText)));
        }

        return new CommandResult(0, "", "");
    });

    internal static TrustOptions Options(TrustBed bed, string systemRoot, RecordingRunner runner, bool privileged, bool? useSudo = null,
        Func<string, string?>? find = null, Action<string>? progress = null, bool writableDirectories = true) => new()
    {
        Home = bed.Home,
        SystemRoot = systemRoot,
        Platform = TrustPlatform.Linux,
        Runner = runner,
        Privileged = privileged,
        UseSudo = useSudo,
        FindProgram = find ?? (name => "/usr/sbin/" + name),
        Progress = progress ?? (_ => { }),
        IsWritable = _ => writableDirectories,
    };
}
