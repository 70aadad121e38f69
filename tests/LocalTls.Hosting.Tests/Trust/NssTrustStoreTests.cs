using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;
using LocalTls.Trust;

namespace LocalTls.Tests.Trust;

/// <summary>NSS through the real certutil, on temporary databases: Chromium's, snap Chromium's and Firefox profiles.</summary>
public class NssTrustStoreTests
{
    [Fact]
    public async Task Install_adds_the_root_to_chromium_snap_chromium_and_every_firefox_profile_so_certutil_lists_it()
    {
        using var bed = new TrustBed();
        string[] dbs =
        [
            await bed.NewNssDatabaseAsync(".pki", "nssdb"),
            await bed.NewNssDatabaseAsync("snap", "chromium", "current", ".pki", "nssdb"),
            await bed.NewNssDatabaseAsync(".mozilla", "firefox", "a1b2c3.default-release"),
            await bed.NewNssDatabaseAsync("snap", "firefox", "common", ".mozilla", "firefox", "x9y8.default"),
            await bed.NewNssDatabaseAsync("Library", "Application Support", "Firefox", "Profiles", "m4c.default"),
        ];
        // A profile directory without a database is not a profile NSS can use.
        Directory.CreateDirectory(Path.Combine(bed.Home, ".mozilla", "firefox", "Crash Reports"));

        var result = bed.Cli("trust", "install", "--store", "nss");

        Assert.True(result.ExitCode == 0, result.Stdout + result.Stderr);
        foreach (var db in dbs)
        {
            var listed = await TrustBed.NssListAsync(db);
            Assert.Matches($@"(?m)^{bed.UniqueName}\s+C,,\s*$", listed);
            Assert.Contains(db, result.Stdout);
        }

        Assert.DoesNotContain("Crash Reports", result.Stdout);
        var status = bed.Cli("trust", "status", "--store", "nss");
        Assert.Matches(@"nss\s+trusted", status.Stdout);
    }

    [Fact]
    public async Task Uninstall_removes_exactly_our_root_and_an_unrelated_root_in_the_same_database_survives()
    {
        using var bed = new TrustBed();
        var db = await bed.NewNssDatabaseAsync(".mozilla", "firefox", "p.default");
        using var other = new TrustBed(TestCa.Create("Unrelated"));
        var certutil = Tool.Require("certutil", "libnss3-tools");
        var added = await Tool.RunAsync(certutil, ["-A", "-d", "sql:" + db, "-t", "C,,", "-n", "Unrelated Corp Root", "-i", other.RootPath]);
        Assert.True(added.ExitCode == 0, added.Output);

        Assert.Equal(0, bed.Cli("trust", "install", "--store", "nss").ExitCode);
        Assert.Contains(bed.UniqueName, await TrustBed.NssListAsync(db));
        var uninstall = bed.Cli("trust", "uninstall", "--store", "nss");

        Assert.True(uninstall.ExitCode == 0, uninstall.Stdout + uninstall.Stderr);
        var listed = await TrustBed.NssListAsync(db);
        Assert.DoesNotContain(bed.UniqueName, listed);
        Assert.Matches(@"(?m)^Unrelated Corp Root\s+C,,", listed);
        Assert.Matches(@"nss\s+not trusted", bed.Cli("trust", "status", "--store", "nss").Stdout);
    }

    [Fact]
    public async Task Two_roots_get_two_nicknames_and_uninstalling_one_keeps_the_other()
    {
        using var first = new TrustBed();
        var db = await first.NewNssDatabaseAsync(".pki", "nssdb");
        using var second = new TrustBed(TestCa.Create("Second"));
        var options = new TrustOptions { Home = first.Home };
        var store = new NssTrustStore(options);

        store.Install(TrustedRoot.Load(first.RootPath));
        store.Install(TrustedRoot.Load(second.RootPath));
        store.Uninstall(TrustedRoot.Load(first.RootPath));

        var listed = await TrustBed.NssListAsync(db);
        Assert.DoesNotContain(first.UniqueName, listed);
        Assert.Contains(second.UniqueName, listed);
        Assert.Equal(TrustState.Trusted, store.Status(TrustedRoot.Load(second.RootPath)).State);
    }

    [Fact]
    public void Without_certutil_status_is_tool_missing_with_the_debian_package_and_install_changes_nothing()
    {
        using var bed = new TrustBed();
        Directory.CreateDirectory(Path.Combine(bed.Home, ".pki", "nssdb"));
        File.WriteAllText(Path.Combine(bed.Home, ".pki", "nssdb", "cert9.db"), "");
        var runner = new RecordingRunner();
        var store = new NssTrustStore(new TrustOptions { Home = bed.Home, Runner = runner, FindProgram = _ => null, Platform = TrustPlatform.Linux });
        var root = TrustedRoot.Load(bed.RootPath);

        var status = store.Status(root);

        Assert.Equal(TrustState.ToolMissing, status.State);
        Assert.Contains("apt-get install libnss3-tools", status.Hint);
        Assert.Contains("apt-get install libnss3-tools", Assert.Throws<TrustException>(() => store.Install(root)).Message);
        Assert.Empty(runner.Commands);
    }

    [Fact]
    public async Task A_home_without_nss_databases_or_a_chromium_is_store_absent_and_with_chromium_install_creates_its_database()
    {
        using var bed = new TrustBed();
        var store = new NssTrustStore(new TrustOptions { Home = bed.Home, FindProgram = name => name == "certutil" ? "/usr/bin/certutil" : null, Platform = TrustPlatform.Linux });
        Assert.False(store.IsPresent);
        Assert.Equal(TrustState.StoreAbsent, store.Status(TrustedRoot.Load(bed.RootPath)).State);

        // With Chromium installed, its ~/.pki/nssdb is a store even before Chromium first ran: install creates it.
        var withChromium = new NssTrustStore(new TrustOptions { Home = bed.Home, Platform = TrustPlatform.Linux,
            FindProgram = name => name == "chromium" ? "/usr/bin/chromium" : Tool.Find(name) });
        Assert.Equal([Path.Combine(bed.Home, ".pki", "nssdb")], withChromium.Databases());
        Tool.Require("certutil", "libnss3-tools");
        withChromium.Install(TrustedRoot.Load(bed.RootPath));
        Assert.Matches($@"(?m)^{bed.UniqueName}\s+C,,", await TrustBed.NssListAsync(Path.Combine(bed.Home, ".pki", "nssdb")));
    }

}
