using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// A stand-in for the kubelet and the Deployment controller: a Deployment whose container command names a program
/// this machine has (step-ca) runs as a local process, with its ConfigMap, Secret, projected and volume claim contents written
/// where the container would see them, a Pod that reports it, its output as the pod's log, readiness from its
/// readiness probe, and the Service proxy reaching it.
/// </summary>
/// <remarks>
/// Simplified: one replica; a volume source with <c>items</c> is refused rather than misread (<c>optional</c> is not
/// read); no image is pulled (the command's program runs from <c>executables</c>); there is no
/// container filesystem, so every string in a mounted JSON file that names a mounted path is rewritten to the host
/// folder, and a top-level <c>address</c> (step-ca's listen address) becomes a free loopback port; a process that exits
/// is reported terminated and not restarted.
/// </remarks>
public sealed class Kubelet : IAsyncDisposable
{
    private static readonly ResourceType DeploymentType = ResourceType.BuiltIn.Single(t => t.Kind == "Deployment");
    private static readonly ResourceType PodType = ResourceType.BuiltIn.Single(t => t.Kind == "Pod");
    private static readonly ResourceType ServiceType = ResourceType.BuiltIn.Single(t => t.Kind == "Service");
    private static readonly ResourceType ConfigMapType = ResourceType.BuiltIn.Single(t => t.Kind == "ConfigMap");
    private static readonly ResourceType SecretType = ResourceType.BuiltIn.Single(t => t.Kind == "Secret");
    private static readonly WriteOptions Options = new(FieldManager: "kubelet");

    private readonly KubeApiServer server;
    private readonly IReadOnlyDictionary<string, string> executables;
    private readonly Lazy<string> root;
    private readonly Dictionary<string, RunningPod> running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopping = new();
    private readonly ObjectStore.Watcher watcher;
    private readonly Task loop;

    private readonly bool ownsRoot;

    private Kubelet(KubeApiServer server, IReadOnlyDictionary<string, string> executables, Lazy<string> root, bool ownsRoot)
    {
        this.server = server;
        this.ownsRoot = ownsRoot;
        this.executables = executables;
        this.root = root;
        server.Proxy.Resolver = Resolve;
        watcher = server.Store.Watch(DeploymentType, null, 0, _ => true);
        loop = Task.Run(RunAsync);
    }

    /// <summary>Starts running the Deployments stored now and later.</summary>
    /// <param name="executables">Command name (the container's <c>command[0]</c>) to the program that runs it, e.g. <c>step-ca</c>.</param>
    /// <param name="root">Where pod folders and volume claims live; a new temporary folder when null.</param>
    public static Kubelet Start(KubeApiServer server, IReadOnlyDictionary<string, string> executables, string? root = null) =>
        new(server, executables, new Lazy<string>(() => root ?? Directory.CreateTempSubdirectory("kube-api-double-kubelet").FullName), ownsRoot: root is null);

    private async Task RunAsync()
    {
        try
        {
            await foreach (var change in watcher.Channel.Reader.ReadAllAsync(stopping.Token))
            {
                var key = $"{change.Namespace}/{(string?)change.Object["metadata"]!["name"]}";
                try
                {
                    await ReconcileAsync(key, change.Type == "DELETED" ? null : change.Object);
                }
                catch (Exception e) when (e is ApiError or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    await Console.Error.WriteLineAsync($"kubelet stand-in: {key}: {e.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task ReconcileAsync(string key, JsonObject? deployment)
    {
        var template = deployment?["spec"]?["template"]?.ToJsonString();
        RunningPod? current;
        lock (running)
        {
            running.TryGetValue(key, out current);
        }

        if (current is not null && current.Template == template && (int?)deployment?["spec"]?["replicas"] != 0)
        {
            return;
        }

        if (current is not null)
        {
            await StopAsync(key, current);
        }

        var command = (string?)deployment?["spec"]?["template"]?["spec"]?["containers"]?[0]?["command"]?[0];
        if (deployment is null || template is null || (int?)deployment["spec"]?["replicas"] == 0
            || command is null || !executables.TryGetValue(command, out var executable))
        {
            return;
        }

        var pod = StartPod(deployment, executable, template);
        lock (running)
        {
            running[key] = pod;
        }

        _ = Task.Run(() => ProbeAsync(pod, deployment));
    }

    private RunningPod StartPod(JsonObject deployment, string executable, string template)
    {
        var ns = (string)deployment["metadata"]!["namespace"]!;
        var name = (string)deployment["metadata"]!["name"]!;
        var podSpec = (JsonObject)deployment["spec"]!["template"]!["spec"]!;
        var container = (JsonObject)podSpec["containers"]![0]!;
        var podName = $"{name}-{Guid.NewGuid().ToString("N")[..10]}";
        var podRoot = Path.Combine(root.Value, ns, podName);
        var mounts = new List<(string ContainerPath, string HostPath)>();
        var jsonFiles = new List<string>();
        foreach (var mount in container["volumeMounts"] as JsonArray ?? [])
        {
            var mountPath = (string)mount!["mountPath"]!;
            var volume = (podSpec["volumes"] as JsonArray)?.FirstOrDefault(v => (string?)v!["name"] == (string?)mount["name"]);
            var host = volume?["persistentVolumeClaim"]?["claimName"] is JsonNode claim
                ? Path.Combine(root.Value, "claims", ns, (string)claim!)
                : Path.Combine(podRoot, mountPath.TrimStart('/'));
            Directory.CreateDirectory(host);
            mounts.Add((mountPath, host));
            var mode = (UnixFileMode)((int?)volume?["configMap"]?["defaultMode"] ?? (int?)volume?["secret"]?["defaultMode"] ?? (int?)volume?["projected"]?["defaultMode"] ?? 420);
            // A projected volume writes the keys of each of its sources into the one folder.
            var sources = volume?["projected"]?["sources"] is JsonArray projected
                ? projected.Select(p => (ConfigMap: p?["configMap"], Secret: p?["secret"], SecretName: (string?)p?["secret"]?["name"]))
                : [(volume?["configMap"], volume?["secret"], (string?)volume?["secret"]?["secretName"])];
            if (sources.Any(s => s.ConfigMap?["items"] is not null || s.Secret?["items"] is not null))
            {
                throw new InvalidOperationException($"volume '{(string?)volume!["name"]}': items are not supported by the kubelet stand-in");
            }

            foreach (var (configMapSource, _, secretName) in sources)
            {
                if ((string?)configMapSource?["name"] is { } configMapName)
                {
                    var configMap = server.Api.Get(ConfigMapType, ns, configMapName);
                    foreach (var (file, value) in configMap["data"] as JsonObject ?? [])
                    {
                        WriteFile(Path.Combine(host, file), Encoding.UTF8.GetBytes((string)value!), mode);
                        if (file.EndsWith(".json", StringComparison.Ordinal))
                        {
                            jsonFiles.Add(Path.Combine(host, file));
                        }
                    }
                }
                else if (secretName is not null)
                {
                    var secret = server.Api.Get(SecretType, ns, secretName);
                    foreach (var (file, value) in secret["data"] as JsonObject ?? [])
                    {
                        WriteFile(Path.Combine(host, file), Convert.FromBase64String((string)value!), mode);
                    }
                }
            }
        }

        string Map(string path)
        {
            var mount = mounts.Where(m => path == m.ContainerPath || path.StartsWith(m.ContainerPath.TrimEnd('/') + "/", StringComparison.Ordinal))
                .OrderByDescending(m => m.ContainerPath.Length).FirstOrDefault();
            return mount.ContainerPath is null ? path : mount.HostPath + path[mount.ContainerPath.Length..];
        }

        var ports = new Dictionary<int, int>();
        foreach (var file in jsonFiles)
        {
            var json = JsonNode.Parse(File.ReadAllText(file))!;
            if (json is JsonObject obj && (string?)obj["address"] is { } address
                && int.TryParse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture, out var containerPort))
            {
                ports[containerPort] = FreePort();
                obj["address"] = $"127.0.0.1:{ports[containerPort]}";
            }

            File.WriteAllText(file, RewritePaths(json, Map)!.ToJsonString());
        }

        var info = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = podRoot,
        };
        var arguments = (container["args"] as JsonArray ?? []).Select(a => Map((string)a!)).ToList();
        if (server.ClusterDns is { } dns && Path.GetFileName(executable) == "step-ca" && !arguments.Contains("--resolver"))
        {
            // A process here cannot be given its own resolv.conf; step-ca takes the cluster DNS as a flag (before the
            // positional ca.json, where urfave/cli stops reading flags).
            arguments.InsertRange(0, ["--resolver", dns.ToString()]);
        }

        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{executable} did not start");
        process.OutputDataReceived += (_, e) => Log(ns, podName, e.Data);
        process.ErrorDataReceived += (_, e) => Log(ns, podName, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var labels = deployment["spec"]!["template"]!["metadata"]?["labels"]?.DeepClone();
        var podObject = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = podName,
                ["namespace"] = ns,
                ["labels"] = labels,
                // As a Deployment's pods are: owned by its ReplicaSet (which the double does not store).
                ["ownerReferences"] = new JsonArray(new JsonObject
                {
                    ["apiVersion"] = "apps/v1",
                    ["kind"] = "ReplicaSet",
                    ["name"] = $"{(string?)deployment["metadata"]?["name"]}-{podName[^10..^5]}",
                    ["uid"] = Guid.NewGuid().ToString(),
                    ["controller"] = true,
                    ["blockOwnerDeletion"] = true,
                }),
            },
            ["spec"] = podSpec.DeepClone(),
        };
        server.Api.Create(PodType, ns, podObject, Options);
        var pod = new RunningPod(ns, podName, template, process, ports, (JsonObject)deployment.DeepClone());
        WritePodStatus(pod, ready: false);
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => OnExited(pod);
        return pod;
    }

    private void Log(string ns, string pod, string? line)
    {
        if (line is not null)
        {
            server.PodLogs.Write(ns, pod, line);
        }
    }

    /// <summary>The readiness probe, as the kubelet runs it (HTTPS without verifying the certificate).</summary>
    private async Task ProbeAsync(RunningPod pod, JsonObject deployment)
    {
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var probe = container["readinessProbe"]?["httpGet"];
        using var client = new HttpClient(new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } })
        {
            Timeout = TimeSpan.FromSeconds(2),
        };
        for (var attempt = 0; attempt < 300 && !pod.Process.HasExited && !stopping.IsCancellationRequested; attempt++)
        {
            var ready = probe is null;
            if (probe is not null && HostPort(container, probe["port"], pod) is { } port)
            {
                var scheme = ((string?)probe["scheme"] ?? "HTTP").ToLowerInvariant();
                try
                {
                    using var response = await client.GetAsync($"{scheme}://127.0.0.1:{port}{(string?)probe["path"] ?? "/"}", stopping.Token);
                    ready = response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                }
                catch (TaskCanceledException) when (!stopping.IsCancellationRequested)
                {
                }
            }

            if (ready)
            {
                WritePodStatus(pod, ready: true);
                return;
            }

            await Task.Delay(200, stopping.Token);
        }
    }

    private static int? HostPort(JsonNode container, JsonNode? port, RunningPod pod)
    {
        int? containerPort = port switch
        {
            JsonValue v when v.TryGetValue<int>(out var number) => number,
            JsonValue v when v.TryGetValue<string>(out var portName) =>
                (int?)(container["ports"] as JsonArray)?.FirstOrDefault(p => (string?)p!["name"] == portName)?["containerPort"],
            _ => null,
        };
        return containerPort is { } c && pod.Ports.TryGetValue(c, out var host) ? host : null;
    }

    /// <summary>A Service's port, by number or name, to the loopback port of the pod its selector picks.</summary>
    private Uri? Resolve(string ns, string serviceName, string port)
    {
        var service = server.Store.Get(ServiceType, ns, serviceName);
        var selector = service?["spec"]?["selector"] as JsonObject;
        var servicePort = (service?["spec"]?["ports"] as JsonArray)?.FirstOrDefault(p =>
            port.Length == 0 || (string?)p!["name"] == port || p!["port"]?.ToJsonString() == port);
        if (selector is null || servicePort is null)
        {
            return null;
        }

        List<RunningPod> pods;
        lock (running)
        {
            pods = [.. running.Values];
        }

        foreach (var pod in pods.Where(p => p.Namespace == ns && !p.Process.HasExited))
        {
            var labels = pod.Deployment["spec"]!["template"]!["metadata"]?["labels"] as JsonObject;
            if (selector.All(s => (string?)labels?[s.Key] == (string?)s.Value))
            {
                var container = pod.Deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
                if (HostPort(container, servicePort["targetPort"] ?? servicePort["port"], pod) is { } host)
                {
                    var https = (string?)container["readinessProbe"]?["httpGet"]?["scheme"] == "HTTPS" || (string?)servicePort["name"] == "https";
                    return new Uri($"{(https ? "https" : "http")}://127.0.0.1:{host}/");
                }
            }
        }

        return null;
    }

    private void WritePodStatus(RunningPod pod, bool ready, int? exitCode = null)
    {
        var now = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var container = pod.Deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var state = exitCode is { } code
            ? new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = code, ["reason"] = code == 0 ? "Completed" : "Error", ["finishedAt"] = now } }
            : new JsonObject { ["running"] = new JsonObject { ["startedAt"] = now } };
        var status = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = exitCode is null ? "Running" : "Failed",
                ["podIP"] = "127.0.0.1",
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = now }),
                ["containerStatuses"] = new JsonArray(new JsonObject
                {
                    ["name"] = container["name"]?.DeepClone(),
                    ["image"] = container["image"]?.DeepClone(),
                    ["imageID"] = "",
                    ["ready"] = ready,
                    ["restartCount"] = 0,
                    ["started"] = exitCode is null,
                    ["state"] = state,
                }),
            },
        };
        server.Api.Patch(PodType, pod.Namespace, pod.Name, "status", "application/merge-patch+json", status.ToJsonString(), Options);

        var deploymentName = (string)pod.Deployment["metadata"]!["name"]!;
        var deployment = server.Store.Get(DeploymentType, pod.Namespace, deploymentName);
        var readyReplicas = ready ? 1 : 0;
        var deploymentStatus = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["observedGeneration"] = deployment?["metadata"]?["generation"]?.DeepClone(),
                ["replicas"] = 1,
                ["updatedReplicas"] = 1,
                ["readyReplicas"] = readyReplicas,
                ["availableReplicas"] = readyReplicas,
                ["unavailableReplicas"] = 1 - readyReplicas,
                ["conditions"] = new JsonArray(
                    new JsonObject { ["type"] = "Available", ["status"] = ready ? "True" : "False", ["reason"] = ready ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", ["lastTransitionTime"] = now }),
            },
        };
        if (deployment is not null)
        {
            server.Api.Patch(DeploymentType, pod.Namespace, deploymentName, "status", "application/merge-patch+json", deploymentStatus.ToJsonString(), Options);
        }
    }

    private void OnExited(RunningPod pod)
    {
        if (pod.Stopped || stopping.IsCancellationRequested)
        {
            return;
        }

        try
        {
            WritePodStatus(pod, ready: false, exitCode: pod.Process.ExitCode);
        }
        catch (ApiError)
        {
        }
    }

    private async Task StopAsync(string key, RunningPod pod)
    {
        pod.Stopped = true;
        lock (running)
        {
            running.Remove(key);
        }

        if (!pod.Process.HasExited)
        {
            pod.Process.Kill(entireProcessTree: true);
            await pod.Process.WaitForExitAsync();
        }

        pod.Process.Dispose();
        try
        {
            server.Api.Delete(PodType, pod.Namespace, pod.Name, Options);
        }
        catch (ApiError)
        {
        }

        server.PodLogs.Close(pod.Namespace, pod.Name);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        server.Store.StopWatch(watcher);
        await loop;
        server.Proxy.Resolver = null;
        List<KeyValuePair<string, RunningPod>> pods;
        lock (running)
        {
            pods = [.. running];
        }

        foreach (var (key, pod) in pods)
        {
            pod.Stopped = true;
            if (!pod.Process.HasExited)
            {
                pod.Process.Kill(entireProcessTree: true);
                await pod.Process.WaitForExitAsync();
            }

            pod.Process.Dispose();
            lock (running)
            {
                running.Remove(key);
            }
        }

        if (ownsRoot && root.IsValueCreated)
        {
            try
            {
                Directory.Delete(root.Value, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: a temporary folder left behind does no harm.
            }
        }
    }

    private static JsonNode? RewritePaths(JsonNode? node, Func<string, string> map)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    obj[key] = RewritePaths(obj[key]?.DeepClone(), map);
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = RewritePaths(array[i]?.DeepClone(), map);
                }

                return array;
            case JsonValue value when value.TryGetValue<string>(out var text) && text.StartsWith('/'):
                return JsonValue.Create(map(text));
            default:
                return node;
        }
    }

    private static void WriteFile(string path, byte[] content, UnixFileMode mode)
    {
        File.WriteAllBytes(path, content);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private sealed class RunningPod(string ns, string name, string template, Process process, Dictionary<int, int> ports, JsonObject deployment)
    {
        public string Namespace { get; } = ns;

        public string Name { get; } = name;

        public string Template { get; } = template;

        public Process Process { get; } = process;

        public Dictionary<int, int> Ports { get; } = ports;

        public JsonObject Deployment { get; } = deployment;

        public bool Stopped { get; set; }
    }
}
