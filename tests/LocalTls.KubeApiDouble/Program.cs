using System.Net;
using System.Runtime.InteropServices;
using LocalTls.KubeApiDouble.CertManager;
using LocalTls.KubeApiDouble.Schemas;

namespace LocalTls.KubeApiDouble;

/// <summary><c>dotnet run --project tests/LocalTls.KubeApiDouble -- --listen 127.0.0.1:PORT --kubeconfig FILE</c></summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var listen = new IPEndPoint(IPAddress.Loopback, 0);
        string? kubeconfig = null;
        string? stepCa = Environment.GetEnvironmentVariable("LOCALTLS_STEP_CA") is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
        var kubelet = true;
        var certManager = true;
        var ingressClass = true;
        var k3sSystem = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--listen" when i + 1 < args.Length && IPEndPoint.TryParse(args[i + 1], out var endpoint) && IPAddress.IsLoopback(endpoint.Address):
                    listen = endpoint;
                    i++;
                    break;
                case "--kubeconfig" when i + 1 < args.Length:
                    kubeconfig = Path.GetFullPath(args[++i]);
                    break;
                case "--step-ca" when i + 1 < args.Length:
                    stepCa = Path.GetFullPath(args[++i]);
                    break;
                case "--no-kubelet":
                    kubelet = false;
                    break;
                case "--no-cert-manager":
                    certManager = false;
                    break;
                case "--no-ingress-class":
                    ingressClass = false;
                    break;
                case "--k3s-system":
                    k3sSystem = true;
                    break;
                default:
                    await Console.Error.WriteLineAsync("usage: LocalTls.KubeApiDouble [--listen 127.0.0.1:PORT] [--kubeconfig FILE] [--step-ca PATH | --no-kubelet] [--no-cert-manager] [--no-ingress-class] [--k3s-system]  (loopback addresses only)");
                    return 1;
            }
        }

        var reference = ReferenceLocation.FromEnvironment();
        if (reference.Directory is null)
        {
            reference = ReferenceLocation.Locate(null, Directory.GetCurrentDirectory());
        }

        if (reference.Directory is null)
        {
            await Console.Error.WriteLineAsync($"Reference schemas not found: {reference.MissingReason}. Set {ReferenceLocation.EnvironmentVariable}.");
            return 3;
        }

        await using var server = await KubeApiServer.StartAsync(reference.Directory, listen);
        if (ingressClass)
        {
            // As k3s ships it; --no-ingress-class stands for Colima's k3s, started without Traefik.
            server.AddTraefikIngressClass();
        }

        if (kubeconfig is not null)
        {
            server.WriteKubeconfig(kubeconfig);
        }

        if (k3sSystem)
        {
            // k3s's kube-system: CoreDNS importing coredns-custom, and Traefik's Service (for WithSslipDns).
            using var client = server.CreateClient();
            await K3sSystem.SeedAsync(client, k3s: true, CancellationToken.None);
        }

        // Before the kubelet stand-in, so that step-ca gets the cluster DNS its dns-01 answers are published in.
        await using var certManagerStandIn = certManager ? CertManagerStandIn.Start(server) : null;

        // With a step-ca binary (--step-ca, else $LOCALTLS_STEP_CA), an applied step-ca Deployment really runs.
        await using var runner = kubelet && stepCa is not null && File.Exists(stepCa)
            ? Kubelet.Start(server, new Dictionary<string, string> { ["step-ca"] = stepCa })
            : null;
        Console.WriteLine($"Kubernetes API double on {server.Url} (schemas from {reference.Directory})" +
            (kubeconfig is null ? "" : $", kubeconfig {kubeconfig}") +
            (runner is null ? ", no kubelet stand-in (give --step-ca PATH to run step-ca Deployments)" : $", step-ca Deployments run {stepCa}") +
            (certManagerStandIn is null ? ", no cert-manager stand-in" : ", cert-manager stand-in issuing Certificates (apply cert-manager's CRDs first)") +
            (ingressClass ? ", IngressClass traefik" : ", no IngressClass"));
        var stopped = new TaskCompletionSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        await stopped.Task;
        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopped.TrySetResult();
        }
    }
}
