using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Aspire.Hosting.ApplicationModel;
using k8s;
using k8s.Models;
using LocalTls.Cluster;
using LocalTls.Pki;
using LocalTls.StepCa;
using LocalTls.Tests.Cluster;
using LocalTls.Tests.TestSupport;

namespace LocalTls.Tests.StepCa;

/// <summary>
/// The rendered step-ca config, laid out on disk exactly as the Deployment mounts it, boots the real step-ca. Only
/// what a host cannot have is rewritten: the <c>/home/step</c> prefix (in ca.json, defaults.json and the container
/// args) and ca.json's listen address (a free loopback port). Everything else is used as rendered.
/// </summary>
public class RenderedDeploymentBootTests
{
    private const string ContainerRoot = StepCaLayout.ContainerRoot;

    /// <summary>CA material with a root key, so the tests can show the renderer leaves it out.</summary>
    private static CaMaterial Material => ModelFixtures.Ca.Value;

    public static TheoryData<string> Variants() => ["seed", "encrypted-key", "two-provisioners", "custom-service"];

    private static (StepCaResource Ca, string? Password) Model(string variant)
    {
        var ca = ModelFixtures.Seed().Ca;
        string? password = null;
        switch (variant)
        {
            case "seed":
                break;
            case "encrypted-key":
                password = "correct horse battery staple";
                break;
            case "two-provisioners":
                ca.ProvisionerList.Add(new AcmeProvisionerOptions { Name = "acme-long", ForceCN = true, Claims = new StepCaClaimsOptions { MaxTlsCertDuration = TimeSpan.FromDays(365) } });
                break;
            case "custom-service":
                ca.Namespace = "pki";
                ca.ServiceName = "ca";
                ca.Port = 8443;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(variant), variant, null);
        }

        return (ca, password);
    }

    /// <summary>One value the host layout needed changed.</summary>
    private sealed record Change(string Where, string Before, string After);

    /// <summary>The Deployment's volumes written under a folder: what the kubelet would have mounted.</summary>
    private sealed class MountedPod(string root) : IDisposable
    {
        private readonly List<string> _readOnlyDirectories = [];

        public string Root { get; } = root;

        public List<Change> Changes { get; } = [];

        public List<string> Arguments { get; } = [];

        public string Map(string containerPath)
        {
            Assert.True(containerPath == ContainerRoot || containerPath.StartsWith(ContainerRoot + "/", StringComparison.Ordinal), $"'{containerPath}' is not under {ContainerRoot}");
            return Root + containerPath[ContainerRoot.Length..];
        }

        public void LockReadOnly(string directory)
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                _readOnlyDirectories.Add(directory);
            }
        }

        public void Dispose()
        {
            // Let the temporary folder be deleted again.
            foreach (var directory in _readOnlyDirectories)
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
            }
        }
    }

    private static V1PodSpec PodOf(IReadOnlyList<IKubernetesObject> objects) => objects.OfType<V1Deployment>().Single().Spec.Template.Spec;

    /// <summary>
    /// Writes every ConfigMap and Secret volume's data where the container mounts it (mode as the kubelet would
    /// set it), creates the PVC's folder, rewrites the host-only values, and makes the read-only mounts read-only.
    /// </summary>
    private static MountedPod Mount(IReadOnlyList<IKubernetesObject> objects, string root, int port)
    {
        var pod = PodOf(objects);
        var container = Assert.Single(pod.Containers);
        var mounted = new MountedPod(root);
        var readOnly = new List<string>();
        foreach (var mount in container.VolumeMounts)
        {
            var volume = pod.Volumes.Single(v => v.Name == mount.Name);
            if (!mount.MountPath.StartsWith(ContainerRoot + "/", StringComparison.Ordinal))
            {
                // Only scratch space lives elsewhere (/tmp); the host has its own.
                Assert.NotNull(volume.EmptyDir);
                continue;
            }

            var directory = mounted.Map(mount.MountPath);
            Directory.CreateDirectory(directory);
            if (volume.ConfigMap is { } configMapVolume)
            {
                Assert.Null(configMapVolume.Items);
                var configMap = objects.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == configMapVolume.Name);
                foreach (var (key, value) in configMap.Data)
                {
                    WriteProjected(Path.Combine(directory, key), Encoding.UTF8.GetBytes(value), configMapVolume.DefaultMode);
                }
            }
            else if (volume.Secret is { } secretVolume)
            {
                Assert.Null(secretVolume.Items);
                var secret = objects.OfType<V1Secret>().Single(s => s.Metadata.Name == secretVolume.SecretName);
                foreach (var (key, value) in secret.Data)
                {
                    WriteProjected(Path.Combine(directory, key), value, secretVolume.DefaultMode);
                }
            }
            else if (volume.Projected is { } projected)
            {
                // Every source's keys in the one folder; no key may hide another's file.
                var written = new HashSet<string>(StringComparer.Ordinal);
                foreach (var source in projected.Sources)
                {
                    var secretSource = Assert.IsType<V1SecretProjection>(source.Secret);
                    Assert.Null(secretSource.Items);
                    var secret = objects.OfType<V1Secret>().Single(s => s.Metadata.Name == secretSource.Name);
                    foreach (var (key, value) in secret.Data)
                    {
                        Assert.True(written.Add(key), $"two sources of volume '{volume.Name}' project '{key}'");
                        WriteProjected(Path.Combine(directory, key), value, projected.DefaultMode);
                    }
                }
            }
            else
            {
                Assert.NotNull(volume.PersistentVolumeClaim);
                Assert.Contains(objects.OfType<V1PersistentVolumeClaim>(), c => c.Metadata.Name == volume.PersistentVolumeClaim.ClaimName);
            }

            if (mount.ReadOnlyProperty == true)
            {
                readOnly.Add(directory);
            }
        }

        foreach (var file in new[] { StepCaLayout.CaConfigFile, StepCaLayout.DefaultsFile })
        {
            var path = mounted.Map($"{ContainerRoot}/{file}");
            var json = JsonNode.Parse(File.ReadAllText(path))!;
            var rewritten = Rewrite(json, "", (pointer, value) =>
                file == StepCaLayout.CaConfigFile && pointer == "/address" ? $"127.0.0.1:{port}"
                : value == ContainerRoot || value.StartsWith(ContainerRoot + "/", StringComparison.Ordinal) ? mounted.Map(value)
                : value, file, mounted.Changes);
            File.WriteAllText(path, rewritten.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        Assert.Equal(["step-ca"], container.Command);
        foreach (var argument in container.Args)
        {
            var mapped = argument.StartsWith('/') ? mounted.Map(argument) : argument;
            if (mapped != argument)
            {
                mounted.Changes.Add(new Change("args", argument, mapped));
            }

            mounted.Arguments.Add(mapped);
        }

        readOnly.ForEach(mounted.LockReadOnly);
        return mounted;
    }

    private static void WriteProjected(string path, byte[] content, int? defaultMode)
    {
        File.WriteAllBytes(path, content);
        if (!OperatingSystem.IsWindows())
        {
            // A volume without defaultMode projects its files 0644, as the kubelet does.
            File.SetUnixFileMode(path, (UnixFileMode)(defaultMode ?? 420));
        }
    }

    private static JsonNode Rewrite(JsonNode node, string pointer, Func<string, string, string> rewrite, string file, List<Change> changes)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    obj[key] = obj[key] is { } child ? Rewrite(child.DeepClone(), $"{pointer}/{key}", rewrite, file, changes) : null;
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = array[i] is { } child ? Rewrite(child.DeepClone(), $"{pointer}/{i}", rewrite, file, changes) : null;
                }

                return array;
            case JsonValue value when value.TryGetValue<string>(out var text):
                var after = rewrite(pointer, text);
                if (after == text)
                {
                    return node;
                }

                changes.Add(new Change(file + "#" + pointer, text, after));
                return JsonValue.Create(after);
            default:
                return node;
        }
    }

    private static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => Strings(p.Value)),
        JsonArray array => array.SelectMany(Strings),
        JsonValue value when value.TryGetValue<string>(out var s) => [s],
        _ => [],
    };

    private static async Task<JsonElement> GetJsonAsync(HttpClient client, Uri url)
    {
        using var response = await client.GetAsync(url, TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        return await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public async Task The_rendered_config_mounted_as_the_Deployment_mounts_it_boots_the_real_step_ca(string variant)
    {
        var (ca, password) = Model(variant);
        var objects = StepCaKubernetesRenderer.Render(ca, Material, password);
        using var temp = new TempDirectory("stepca-pod");
        var port = LoopbackPort.GetFree();
        using var pod = Mount(objects, temp.Path, port);

        // What had to change for a host, and nothing else: container paths, and the listen address.
        var layout = StepCaLayout.Container.MapTo(temp.Path);
        string[] expectedPaths = ["ca.json#/root", "ca.json#/crt", "ca.json#/key", "ca.json#/db/dataSource", "defaults.json#/ca-config", "defaults.json#/root"];
        var address = Assert.Single(pod.Changes, c => c.Where == "config/ca.json#/address");
        Assert.Equal($":{ca.Port}", address.Before);
        var pathChanges = pod.Changes.Where(c => c != address && c.Where != "args").ToList();
        Assert.Equal(expectedPaths.Order(), pathChanges.Select(c => c.Where["config/".Length..]).Order());
        Assert.All(pathChanges, c => Assert.Equal(pod.Map(c.Before), c.After));
        foreach (var file in new[] { layout.CaConfigPath, layout.DefaultsPath })
        {
            var strings = Strings(JsonNode.Parse(File.ReadAllText(file))).ToList();
            Assert.DoesNotContain(strings, s => s.Contains(ContainerRoot, StringComparison.Ordinal));
            Assert.All(strings.Where(s => s.StartsWith('/')), s => Assert.True(File.Exists(s) || Directory.Exists(s), $"{file} names '{s}', which no volume provides"));
        }

        Assert.Equal([.. StepCaCommandLine.Arguments(layout, passwordFile: password is not null)], pod.Arguments);
        Assert.All(pod.Changes.Where(c => c.Where == "args"), c => Assert.Equal(pod.Map(c.Before), c.After));

        var stopwatch = Stopwatch.StartNew();
        await using var process = await StepCaProcess.StartAsync(
            new StepCaProcessOptions
            {
                Layout = layout,
                PasswordFile = pod.Arguments.Contains("--password-file"),
                ExecutablePath = StepCaBinary.Path,
                TrustedRootPem = Material.RootCertificatePem,
            },
            TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"{variant}: step-ca healthy after {stopwatch.ElapsedMilliseconds} ms ({string.Join(' ', process.Arguments)})");

        // The command and arguments are the Deployment's, mapped.
        Assert.Equal(PodOf(objects).Containers[0].Command[0], Path.GetFileName(process.ExecutablePath));
        Assert.Equal(pod.Arguments, process.Arguments);
        Assert.Equal(Material.RootFingerprint, process.RootFingerprint);
        Assert.Equal(new Uri($"https://{ca.ServiceHost}:{port}"), process.PrimaryUrl);

        // A client that trusts only the CA's root, asking for the in-cluster name (connected to the loopback listener).
        using var client = process.CreateHttpClient();
        Assert.Equal("ok", (await GetJsonAsync(client, new Uri(process.PrimaryUrl!, "/health"))).GetProperty("status").GetString());
        var provisioners = ca.Provisioners.Select(p => p.Name).ToList();
        Assert.Equal(variant == "two-provisioners" ? 2 : 1, provisioners.Count);
        foreach (var name in provisioners)
        {
            var directoryUrl = StepCaConfig.AcmeDirectoryUrl(process.PrimaryUrl!, name);
            var directory = await GetJsonAsync(client, directoryUrl);
            Assert.Equal($"https://{ca.ServiceHost}:{port}/acme/{name}/new-order", directory.GetProperty("newOrder").GetString());
        }

        // The issuer's ACME server is the default provisioner's directory that just answered.
        var issuer = new AcmeIssuerResource("issuer") { Ca = ca };
        Assert.Equal(StepCaConfig.AcmeDirectoryUrl(process.PrimaryUrl!, ca.DefaultProvisionerName).AbsolutePath, issuer.AcmeServer.AbsolutePath);
        Assert.Equal(ca.ServiceHost, issuer.AcmeServer.Host);
        Assert.Equal(ca.Port, issuer.AcmeServer.Port);
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_root_key_is_in_no_object_and_the_intermediate_key_only_in_the_secret(string variant)
    {
        var (ca, password) = Model(variant);
        var objects = StepCaKubernetesRenderer.Render(ca, Material, password);
        var everything = ManifestYaml.Write(objects) + ManifestYaml.WriteValues(StepCaHelmValuesRenderer.Render(ca, Material, password));

        static string Base64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
        static IEnumerable<string> Traces(string pem)
        {
            var lines = pem.Trim().Split('\n').Select(l => l.Trim()).ToList();
            var body = string.Concat(lines.Where(l => !l.StartsWith("-----", StringComparison.Ordinal)));
            return [pem.Trim(), body, Base64(pem), Base64(pem.Trim() + "\n"), .. lines.Where(l => !l.StartsWith("-----", StringComparison.Ordinal))];
        }

        var rootKey = Assert.IsType<string>(Material.RootKeyPem);
        Assert.All(Traces(rootKey), trace => Assert.DoesNotContain(trace, everything));

        Assert.All(objects.OfType<V1ConfigMap>(), c => Assert.All(c.Data.Values, v => Assert.DoesNotContain("PRIVATE KEY", v)));
        Assert.DoesNotContain(objects, o => o is not V1Secret && ManifestYaml.Write([o]).Contains("PRIVATE KEY", StringComparison.Ordinal));

        var secret = objects.OfType<V1Secret>().Single(s => s.Metadata.Name == $"{ca.ServiceName}-secrets");
        var keyInSecret = Encoding.UTF8.GetString(secret.Data["intermediate_ca_key"]);
        Assert.Equal(["intermediate_ca_key"], secret.Data.Keys);
        if (password is null)
        {
            Assert.Equal(Material.IntermediateKeyPem.Trim(), keyInSecret.Trim());
            Assert.Single(objects.OfType<V1Secret>());
        }
        else
        {
            Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", keyInSecret);
            Assert.All(Traces(Material.IntermediateKeyPem), trace => Assert.DoesNotContain(trace, everything));
        }

        // The search finds the key where it is: the Secret's wire form is base64 of the file.
        Assert.Contains(Base64(keyInSecret), ManifestYaml.Write([secret]));

        var secretTraces = Traces(keyInSecret).Concat(password is null ? [] : [password, Base64(password)]).ToList();
        foreach (var other in objects.Where(o => o is not V1Secret))
        {
            var yaml = ManifestYaml.Write([other]);
            Assert.All(secretTraces, trace => Assert.DoesNotContain(trace, yaml));
        }
    }

    [Fact]
    public void The_password_has_a_Secret_of_its_own_the_key_s_Secret_holds_no_password_and_the_password_s_no_key()
    {
        var (ca, password) = Model("encrypted-key");
        var objects = StepCaKubernetesRenderer.Render(ca, Material, password);
        static string Base64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

        var secrets = objects.OfType<V1Secret>().ToList();
        Assert.Equal([$"{ca.ServiceName}-secrets", $"{ca.ServiceName}-password"], secrets.Select(s => s.Metadata.Name));
        var (keySecret, passwordSecret) = (secrets[0], secrets[1]);
        Assert.Equal(["intermediate_ca_key"], keySecret.Data.Keys);
        Assert.Equal(["password"], passwordSecret.Data.Keys);
        Assert.Equal(password, Encoding.UTF8.GetString(passwordSecret.Data["password"]));

        var key = Encoding.UTF8.GetString(keySecret.Data["intermediate_ca_key"]);
        var keyBody = string.Concat(key.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
        var keyYaml = ManifestYaml.Write([keySecret]);
        var passwordYaml = ManifestYaml.Write([passwordSecret]);
        Assert.All(new[] { password!, Base64(password!) }, trace => Assert.DoesNotContain(trace, keyYaml));
        Assert.All(new[] { "PRIVATE KEY", keyBody, Base64(key) }, trace => Assert.DoesNotContain(trace, passwordYaml));
        Assert.Contains(Base64(password!), passwordYaml);

        // Both reach the one folder step-ca reads, the password at the path of its --password-file.
        var pod = PodOf(objects);
        var volume = pod.Volumes.Single(v => v.Name == "secrets");
        Assert.Null(volume.Secret);
        Assert.Equal(secrets.Select(s => s.Metadata.Name), volume.Projected.Sources.Select(s => s.Secret.Name));
        Assert.Equal(0x100, volume.Projected.DefaultMode);
        var mount = pod.Containers.Single().VolumeMounts.Single(m => m.Name == volume.Name);
        Assert.True(mount.ReadOnlyProperty);
        var args = pod.Containers.Single().Args;
        Assert.Equal($"{mount.MountPath}/password", args[args.IndexOf("--password-file") + 1]);
        Assert.Equal(StepCaLayout.Container.PasswordPath, $"{mount.MountPath}/password");
    }

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_pod_runs_as_non_root_on_a_read_only_root_filesystem_with_https_health_probes(string variant)
    {
        var (ca, password) = Model(variant);
        var objects = StepCaKubernetesRenderer.Render(ca, Material, password);
        var pod = PodOf(objects);
        var container = Assert.Single(pod.Containers);

        Assert.True(pod.SecurityContext.RunAsNonRoot);
        Assert.True(pod.SecurityContext.RunAsUser > 0);
        Assert.True(pod.SecurityContext.RunAsGroup > 0);
        Assert.False(pod.AutomountServiceAccountToken);
        Assert.True(container.SecurityContext.RunAsNonRoot);
        Assert.True(container.SecurityContext.ReadOnlyRootFilesystem);
        Assert.False(container.SecurityContext.AllowPrivilegeEscalation);
        Assert.Equal(["ALL"], container.SecurityContext.Capabilities.Drop);

        // With a read-only root filesystem, everything step-ca writes must be on a writable volume: its database.
        var caJson = JsonNode.Parse(objects.OfType<V1ConfigMap>().Single(c => c.Data.ContainsKey("ca.json")).Data["ca.json"])!;
        var dataSource = (string)caJson["db"]!["dataSource"]!;
        var dbMount = container.VolumeMounts.Single(m => dataSource == m.MountPath || dataSource.StartsWith(m.MountPath + "/", StringComparison.Ordinal));
        Assert.NotEqual(true, dbMount.ReadOnlyProperty);
        Assert.NotNull(pod.Volumes.Single(v => v.Name == dbMount.Name).PersistentVolumeClaim);
        Assert.All(container.VolumeMounts.Where(m => m != dbMount && m.MountPath != "/tmp"), m => Assert.True(m.ReadOnlyProperty));

        var port = Assert.Single(container.Ports);
        Assert.Equal(ca.Port, port.ContainerPort);
        foreach (var probe in new[] { container.ReadinessProbe, container.LivenessProbe })
        {
            Assert.NotNull(probe.HttpGet);
            Assert.Equal("/health", probe.HttpGet.Path);
            Assert.Equal("HTTPS", probe.HttpGet.Scheme);
            Assert.Equal(port.Name, probe.HttpGet.Port.Value);
            Assert.Null(probe.Exec);
            Assert.Null(probe.TcpSocket);
        }

        var service = Assert.Single(objects.OfType<V1Service>());
        Assert.Equal(ca.Port, service.Spec.Ports.Single().Port);
        Assert.Equal(port.Name, service.Spec.Ports.Single().TargetPort.Value);
    }

    [Fact]
    public void The_checksum_annotation_follows_the_config_and_nothing_else()
    {
        static string Checksum(StepCaResource ca, string? password = null) =>
            StepCaKubernetesRenderer.Render(ca, Material, password).OfType<V1Deployment>().Single().Spec.Template.Metadata.Annotations["localtls.io/config-checksum"];

        var baseline = Checksum(Model("seed").Ca);
        Assert.Matches("^[0-9a-f]{64}$", baseline);
        Assert.Equal(baseline, Checksum(Model("seed").Ca));

        var claims = Model("seed").Ca;
        claims.Claims = new StepCaClaimsOptions { MinTlsCertDuration = TimeSpan.FromMinutes(5), DefaultTlsCertDuration = TimeSpan.FromDays(7), MaxTlsCertDuration = TimeSpan.FromDays(90) };
        Assert.NotEqual(baseline, Checksum(claims));

        Assert.NotEqual(baseline, Checksum(Model("two-provisioners").Ca));

        var forceCn = Model("seed").Ca;
        forceCn.Provisioners[0].ForceCN = true;
        Assert.NotEqual(baseline, Checksum(forceCn));

        Assert.NotEqual(baseline, Checksum(Model("custom-service").Ca));
        // The encrypted key differs on every render (random salt and IV); the checksum must not.
        var encrypted = Checksum(Model("seed").Ca, "correct horse battery staple");
        Assert.NotEqual(baseline, encrypted);
        Assert.Equal(encrypted, Checksum(Model("seed").Ca, "correct horse battery staple"));
        Assert.NotEqual(encrypted, Checksum(Model("seed").Ca, "another password"));

        // Not config: the image and the volume roll the pod (or not) by themselves.
        var image = Model("seed").Ca;
        image.ImageTag = "0.30.1";
        image.PersistenceSize = "2Gi";
        Assert.Equal(baseline, Checksum(image));
    }
}
