using LocalTls.Tests.StepCa;
using LocalTls.Tests.TestSupport;
using LocalTls.Trust;

namespace LocalTls.Tests.Trust;

/// <summary>Java cacerts through the real keytool, on a temporary copy of the JDK's keystore (never the JDK's own file).</summary>
public class JavaTrustStoreTests
{
    [Fact]
    public async Task Install_adds_our_alias_to_a_copy_of_cacerts_and_uninstall_removes_only_it()
    {
        var keytool = Tool.Require("keytool", "openjdk-17-jre-headless");
        using var bed = new TrustBed();
        var jdkStore = new JavaTrustStore(new TrustOptions()).Keystore();
        Assert.True(jdkStore is not null, "No JDK cacerts found: install a JDK ('apt-get install openjdk-17-jre-headless') or set JAVA_HOME.");
        var keystore = bed.Temp.Combine("cacerts");
        File.Copy(jdkStore, keystore);
        using var other = new TrustBed(TestCa.Create("Unrelated"));
        var imported = await Tool.RunAsync(keytool, ["-importcert", "-noprompt", "-keystore", keystore, "-storepass", "changeit", "-alias", "unrelated-corp", "-file", other.RootPath]);
        Assert.True(imported.ExitCode == 0, imported.Output);
        var before = await Aliases(keytool, keystore);
        var store = new JavaTrustStore(new TrustOptions { JavaKeystore = keystore, Privileged = true });
        var root = TrustedRoot.Load(bed.RootPath);

        Assert.Equal(TrustState.NotTrusted, store.Status(root).State);
        store.Install(root);

        var listed = await Tool.RunAsync(keytool, ["-list", "-v", "-keystore", keystore, "-storepass", "changeit", "-alias", bed.UniqueName]);
        Assert.True(listed.ExitCode == 0, listed.Output);
        Assert.Contains("trustedCertEntry", listed.Stdout);
        Assert.Contains($"CN={bed.Material.RootCommonName}", listed.Stdout);
        Assert.Equal(TrustState.Trusted, store.Status(root).State);
        Assert.Equal(before.Count + 1, (await Aliases(keytool, keystore)).Count);

        store.Uninstall(root);
        Assert.Equal(before, await Aliases(keytool, keystore));
        Assert.Equal(TrustState.NotTrusted, store.Status(root).State);
    }

    [Fact]
    public void A_keystore_that_is_not_writable_is_changed_through_sudo_and_said_so()
    {
        using var bed = new TrustBed();
        var keystore = bed.Temp.Combine("cacerts");
        File.WriteAllText(keystore, "");
        var said = new List<string>();
        var runner = new RecordingRunner(c => new CommandResult(c.Arguments.Contains("-list") ? 1 : 0, "", ""));
        var store = new JavaTrustStore(new TrustOptions
        {
            JavaKeystore = keystore, JavaHome = bed.Temp.Path, Privileged = false, IsWritable = _ => false, Runner = runner, Progress = said.Add,
            FindProgram = name => "/usr/bin/" + name,
        });

        store.Install(TrustedRoot.Load(bed.RootPath));

        Assert.Equal($"sudo /usr/bin/keytool -importcert -noprompt -keystore {keystore} -storepass changeit -alias {bed.UniqueName} -file {bed.RootPath}", runner.Lines.Last());
        Assert.Contains(said, s => s.Contains("needs root, so this runs sudo", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_jdk_the_store_is_absent()
    {
        using var bed = new TrustBed();
        var store = new JavaTrustStore(new TrustOptions { GetVariable = _ => null, FindProgram = _ => null });
        Assert.False(store.IsPresent);
        Assert.Equal(TrustState.StoreAbsent, store.Status(TrustedRoot.Load(bed.RootPath)).State);
    }

    private static async Task<List<string>> Aliases(string keytool, string keystore)
    {
        var listed = await Tool.RunAsync(keytool, ["-list", "-keystore", keystore, "-storepass", "changeit"]);
        Assert.True(listed.ExitCode == 0, listed.Output);
        return listed.Stdout.Split('\n').Where(l => l.Contains("trustedCertEntry", StringComparison.Ordinal)).Select(l => l.Split(',')[0]).Order(StringComparer.Ordinal).ToList();
    }
}
