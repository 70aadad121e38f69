using k8s;
using k8s.Models;

namespace LocalTls.KubeApiDouble;

/// <summary>
/// What k3s puts into kube-system that LocalTls reads, written into the API double: the <c>coredns</c> ConfigMap and
/// Deployment (k3s's manifests/coredns.yaml: the Corefile imports <c>/etc/coredns/custom/*.override</c> inside
/// <c>.:53</c> and <c>*.server</c> after it, and the Deployment mounts <c>coredns-custom</c>, optional, at
/// <c>/etc/coredns/custom</c>) and Traefik's LoadBalancer Service. <c>k3s: false</c> writes a plain CoreDNS (kubeadm's
/// Corefile, no custom mount) instead. Tests choose; <c>--k3s-system</c> seeds the k3s one when the double runs alone.
/// </summary>
public static class K3sSystem
{
    public const string TraefikClusterIp = "10.43.12.34";

    public static async Task SeedAsync(IKubernetes client, bool k3s, CancellationToken cancellationToken)
    {
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "kube-system" } }, cancellationToken: cancellationToken);
        var imports = k3s ? "    import /etc/coredns/custom/*.override\n}\nimport /etc/coredns/custom/*.server\n" : "}\n";
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "coredns", NamespaceProperty = "kube-system" },
            Data = new Dictionary<string, string>
            {
                ["Corefile"] = ".:53 {\n    errors\n    health\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n      fallthrough in-addr.arpa ip6.arpa\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    loadbalance\n" + imports,
            },
        }, "kube-system", cancellationToken: cancellationToken);

        var volumes = new List<V1Volume> { new() { Name = "config-volume", ConfigMap = new V1ConfigMapVolumeSource { Name = "coredns" } } };
        var mounts = new List<V1VolumeMount> { new() { Name = "config-volume", MountPath = "/etc/coredns", ReadOnlyProperty = true } };
        if (k3s)
        {
            volumes.Add(new() { Name = "custom-config-volume", ConfigMap = new V1ConfigMapVolumeSource { Name = "coredns-custom", Optional = true } });
            mounts.Add(new() { Name = "custom-config-volume", MountPath = "/etc/coredns/custom", ReadOnlyProperty = true });
        }

        var labels = new Dictionary<string, string> { ["k8s-app"] = "kube-dns" };
        await client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "coredns", NamespaceProperty = "kube-system", Labels = labels },
            Spec = new V1DeploymentSpec
            {
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec
                    {
                        Containers = [new V1Container { Name = "coredns", Image = "rancher/mirrored-coredns-coredns:1.12.3", Args = ["-conf", "/etc/coredns/Corefile"], VolumeMounts = mounts }],
                        Volumes = volumes,
                    },
                },
            },
        }, "kube-system", cancellationToken: cancellationToken);

        await client.CoreV1.CreateNamespacedServiceAsync(new V1Service
        {
            Metadata = new V1ObjectMeta { Name = "traefik", NamespaceProperty = "kube-system", Labels = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "traefik" } },
            Spec = new V1ServiceSpec
            {
                Type = "LoadBalancer",
                ClusterIP = TraefikClusterIp,
                Selector = new Dictionary<string, string> { ["app.kubernetes.io/name"] = "traefik" },
                Ports = [new V1ServicePort { Name = "web", Port = 80, Protocol = "TCP" }, new V1ServicePort { Name = "websecure", Port = 443, Protocol = "TCP" }],
            },
        }, "kube-system", cancellationToken: cancellationToken);
    }
}
