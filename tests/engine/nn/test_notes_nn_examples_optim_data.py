"""The optim / serialization / data / vision examples of the study notes, run VERBATIM with `torch` bound to
the engine and, for parity, to PyTorch: see test_notes_nn_examples.py (harness, conventions, exclusions).
"""

import importlib.util
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location(
    '_notes_nn_harness', Path(__file__).with_name('test_notes_nn_examples.py'))
H = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(H)
IMPORTS = H.IMPORTS

TEST_NET = '''
class test_net(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight  = nn.Parameter(torch.tensor([[2., 2.], [2., 2.]]), requires_grad=True)
%s

    def forward(self, input):
        out = self.weight.matmul(input)
%s
        return out
'''
ED_NETS = '''
class E(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor([[2., 2.], [1., 1.]]), requires_grad=True)

    def forward(self, input):
        out = torch.mm(input, self.weight)
        return out

class D(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.tensor([[3., 3.], [4., 4.]]), requires_grad=True)

    def forward(self, input):
        out = torch.mm(input, self.weight)

        return out

t = torch.tensor([[1., 2.], [3., 4.]])

target = torch.tensor([[1., 1.], [1., 1.]])

netE = E()
netD = D()

optim_E = torch.optim.Adam(netE.parameters(), 0.01, [0, 0.999])
optim_D = torch.optim.Adam(netD.parameters(), 0.01, [0, 0.999])

crtic = nn.L1Loss()

t1 = netE(t)
t2 = netD(t1)

loss = crtic(t2, target)
'''
# torch 2.13 rejects the notes' betas [0, 0.999] (int and float); the other variants use [0., 0.999]
ED_NETS_FIXED = ED_NETS.replace('[0, 0.999]', '[0., 0.999]')
PRINT_E = '''
for name, parms in netE.named_parameters():
    print('E-->name:', name, '-->grad_requirs:', parms.requires_grad, '--weight', torch.mean(parms.data), ' -->grad_value:', torch.mean(parms.grad))
'''  # noqa: E501
PRINT_D = PRINT_E.replace("netE", "netD").replace("'E-->", "'D-->")
SNIPPETS: dict[str, str] = {}

ADAM_TAIL = """
#op1.zero_grad()
op2.zero_grad()

t = torch.tensor([[1., 2.], [3, 4]])

# with torch.no_grad():
#     out = net1(t)

out = net1(t)

out = net2(out).mean()

print(out)

out.backward()
# op1.step()
op2.step()

print(net1.weight)
print(net2.weight)
"""
SNIPPETS.update({
    # 004 requires_grad / no_grad with Adam (the notes import torch.optim as optimizer in the 2nd one)
    'adam_no_grad': IMPORTS + 'import torch.optim as optimizer\n' + TEST_NET % ('', '') + """
net1 = test_net()
net1.eval()
net2 = test_net()
# op1 = optimizer.Adam(net1.parameters(), 0.001)
op2 = optimizer.Adam(net2.parameters(), 0.001)
""" + ADAM_TAIL,
    'adam_frozen': IMPORTS + TEST_NET % (
        "        self.weight1 = nn.Parameter(torch.tensor([[2., 2.], [2., 2.]]), requires_grad=False)",
        "        out = self.weight1.matmul(out)") + """
import torch.optim as optimizer

net1 = test_net()
net1.eval()
net2 = test_net()
# op1 = optimizer.Adam(net1.parameters(), 0.001)
op2 = optimizer.Adam(net2.parameters(), 0.001)
""" + ADAM_TAIL + """
print(net1.weight1)
print(net2.weight1)
""",
    'adam_eval': IMPORTS + 'import torch.optim as optimizer\n' + TEST_NET % ('', '') + """
net1 = test_net()
net1.eval()
net2 = test_net()
op1 = optimizer.Adam(net1.parameters(), 0.001)
op2 = optimizer.Adam(net2.parameters(), 0.001)

op1.zero_grad()
""" + ADAM_TAIL.replace('#op1.zero_grad()\n', '').replace('# op1.step()', 'op1.step()'),
    # 004 retain_graph with the E/D nets: 1) backward twice -> error, 2) no 2nd backward (torch 2.x
    # zero_grad sets grads to None, so the notes' torch.mean(parms.grad) raises), 3) one backward
    'ed_betas': IMPORTS + ED_NETS,
    'ed_twice': IMPORTS + ED_NETS_FIXED + """
optim_E.zero_grad()
loss.backward()
optim_E.step()

""" + PRINT_E + """
optim_D.zero_grad()
loss.backward()
optim_D.step()

""" + PRINT_D,
    'ed_twice_fixed': IMPORTS + ED_NETS_FIXED + """
optim_E.zero_grad()
loss.backward(retain_graph=True)
optim_E.step()

""" + PRINT_E + """
optim_D.zero_grad()
loss.backward()
optim_D.step()

""" + PRINT_D,
    'ed_no_second_backward': IMPORTS + ED_NETS_FIXED + """
optim_E.zero_grad()
loss.backward()
optim_E.step()

""" + PRINT_E + """
optim_D.zero_grad()

optim_D.step()

""" + PRINT_D,
    'ed_no_second_backward_fixed': IMPORTS + ED_NETS_FIXED + """
optim_E.zero_grad()
loss.backward()
optim_E.step()

""" + PRINT_E + """
optim_D.zero_grad(set_to_none=False)

optim_D.step()

""" + PRINT_D,
    'ed_once': IMPORTS + ED_NETS_FIXED + """
optim_D.zero_grad()
optim_E.zero_grad()
loss.backward()
optim_E.step()
optim_D.step()

""" + PRINT_E + PRINT_D,
    # 004 per-parameter options (the notes' `model` with .base / .classifier made concrete)
    'sgd_param_groups': IMPORTS + """
import torch.optim as optim
model = nn.Module()
model.base = nn.Linear(2, 2)
model.classifier = nn.Linear(2, 1)
o = optim.SGD([
                {'params': model.base.parameters()},
                {'params': model.classifier.parameters(), 'lr': 1e-3}
            ], lr=1e-2, momentum=0.9)
print(o)
o.add_param_group({'params': nn.Linear(1, 1).parameters(), 'lr': 0.5})
print([g['lr'] for g in o.param_groups], [g['momentum'] for g in o.param_groups])
""",
    # 000/003/004 torch.save / torch.load (run in a temporary directory)
    'save_load': IMPORTS + """
import os
os.makedirs("models", exist_ok=True)
model = nn.Linear(3, 2)
torch.save(obj=model.state_dict(),f="models/net.pth")
print(model.load_state_dict(torch.load("models/net.pth")))

class TheModelClass(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, 1)
args, kwargs, PATH = (4,), {}, 'model.pth'
the_model = TheModelClass(*args, **kwargs)
torch.save(the_model.state_dict(), PATH)

the_model = TheModelClass(*args, **kwargs)
the_model.load_state_dict(torch.load(PATH))
print(list(torch.load(PATH)))

def save_model(epoch, encoder, decoder, D):
    state = {'encoder': encoder.cpu().state_dict(),
             'decoder': decoder.cpu().state_dict(),
             'D':D.cpu().state_dict(),
             'epoch': epoch,}

    torch.save(state, 'VAE_GAN%d.pth' % epoch)
save_model(3, nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 1))
state = torch.load('VAE_GAN3.pth')
print(sorted(state), state['epoch'], list(state['D']))
net = nn.Linear(2, 2)

try:
	state = torch.load('../input/resnet50/resnet50')
	net.load_state_dict(state['net'])
	best_accuracy = state['best_accuracy']
	best_val_accuracy = state['best_val_accuracy']
	losses = state['loss']
	accuracies = state['accuracy']
except:

	print("No checkpoint...")

torch.save({"state_dict": net.state_dict()}, "checkpoint.pth")
model = net
checkpoint = torch.load("checkpoint.pth", map_location=torch.device('cpu'))
model.load_state_dict(checkpoint["state_dict"])
print(sorted(checkpoint["state_dict"]))
""",
    # whole-model pickles: torch 2.13's torch.load defaults to weights_only=True and refuses them
    'save_whole_model': IMPORTS + """
the_model, PATH = nn.Linear(2, 2), 'whole.pth'
torch.save(the_model, PATH)
the_model = torch.load(PATH)
""",
    'save_whole_model_fixed': IMPORTS + """
the_model, PATH = nn.Linear(2, 2), 'whole.pth'
torch.save(the_model, PATH)
the_model = torch.load(PATH, weights_only=False)
print(the_model)
""",
})

DUMMY = """
from itertools import cycle
from torch.utils.data import DataLoader, Dataset
class DummyDataset(Dataset):
    def __init__(self, a, b):
        self.items = list(range(a, b))
    def __getitem__(self, i):
        return self.items[i]
    def __len__(self):
        return len(self.items)
seen = []
def do_cool_things():
    seen.append((data1.shape[0], data2.shape[0]))
"""
SNIPPETS.update({
    # 004 random_split (which indices land where is the generator's business: lengths/cover compared)
    'random_split': IMPORTS + """
from torch.utils.data import random_split
a, b = random_split(range(10), [3, 7], generator=torch.Generator().manual_seed(42))
print(type(a).__name__, len(a), len(b), sorted(list(a) + list(b)))
""",
    # 004 iterating two DataLoaders (the 2nd form has an unbalanced ')' in the notes: fixed)
    'dataloader_cycle': DUMMY + """
dataloaders1 = DataLoader(DummyDataset(0, 100), batch_size=10, shuffle=True)
dataloaders2 = DataLoader(DummyDataset(0, 200), batch_size=10, shuffle=True)
num_epochs = 10

for epoch in range(num_epochs):

    for i, (data1, data2) in enumerate(zip(cycle(dataloaders1), dataloaders2)):

        do_cool_things()
print(len(seen), set(seen))
""",
    'dataloader_iter_fixed': DUMMY + """
dataloaders1 = DataLoader(DummyDataset(0, 100), batch_size=10, shuffle=True)
dataloaders2 = DataLoader(DummyDataset(0, 200), batch_size=10, shuffle=True)
num_epochs = 10

for epoch in range(num_epochs):
    dataloader_iterator = iter(dataloaders1)

    for i, data1 in enumerate(dataloaders2):

        try:
            data2 = next(dataloader_iterator)
        except StopIteration:
            dataloader_iterator = iter(dataloaders1)
            data2 = next(dataloader_iterator)

        do_cool_things()
print(len(seen), set(seen), data1.dtype)
""",
    # 004 distributions.Beta, cudnn flags, profiler, utils.checkpoint (closest runnable forms)
    'misc': IMPORTS + """
from torch.distributions.beta import Beta
m = Beta(torch.tensor([0.5]), torch.tensor([0.5]))
s = m.sample()  # Beta distributed with concentration concentration1 and concentration0
print(s.shape, bool(((s >= 0) & (s <= 1)).all()))
flags = torch.backends.cudnn.enabled, torch.backends.cudnn.benchmark
torch.backends.cudnn.enabled = True
torch.backends.cudnn.benchmark = True
torch.backends.cudnn.enabled, torch.backends.cudnn.benchmark = flags
def code_to_profile():
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))
with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as p:
    code_to_profile()
print(isinstance(p.key_averages().table(sort_by="self_cpu_time_total", row_limit=-1), str))
calls = []
def trace_handler(prof):
    calls.append(prof.step_num)
N = 4
with torch.profiler.profile(
    activities=[torch.profiler.ProfilerActivity.CPU],
    schedule=torch.profiler.schedule(
        wait=1,
        warmup=1,
        active=2),
    on_trace_ready=trace_handler
    ) as p:
        for iter in range(N):
            code_to_profile()
            p.step()
print(calls)
import torch.utils.checkpoint
x = torch.ones(3, requires_grad=True)
y = torch.utils.checkpoint.checkpoint(lambda a: (a * 2).exp(), x, use_reentrant=False)
y.sum().backward()
print(x.grad)
""",
})

RANDOM: set[str] = set()
EXPECTED = {
    'adam_no_grad': (
        'tensor(40., grad_fn=<MeanBackward0>)\n'
        'Parameter containing:\n'
        'tensor([[2., 2.],\n'
        '        [2., 2.]], requires_grad=True)\n'
        'Parameter containing:\n'
        'tensor([[1.9990, 1.9990],\n'
        '        [1.9990, 1.9990]], requires_grad=True)\n'
    ),
    'adam_frozen': (
        'tensor(640., grad_fn=<MeanBackward0>)\n'
        'Parameter containing:\n'
        'tensor([[2., 2.],\n'
        '        [2., 2.]], requires_grad=True)\n'
        'Parameter containing:\n'
        'tensor([[1.9990, 1.9990],\n'
        '        [1.9990, 1.9990]], requires_grad=True)\n'
        'Parameter containing:\n'
        'tensor([[2., 2.],\n'
        '        [2., 2.]])\n'
        'Parameter containing:\n'
        'tensor([[2., 2.],\n'
        '        [2., 2.]])\n'
    ),
    'adam_eval': (
        'tensor(40., grad_fn=<MeanBackward0>)\n'
        'Parameter containing:\n'
        'tensor([[1.9990, 1.9990],\n'
        '        [1.9990, 1.9990]], requires_grad=True)\n'
        'Parameter containing:\n'
        'tensor([[1.9990, 1.9990],\n'
        '        [1.9990, 1.9990]], requires_grad=True)\n'
    ),
    'ed_betas': (
        '!! ValueError at line 31: betas must be either both floats or both Tensors\n'
    ),
    'ed_twice': (
        'E-->name: weight -->grad_requirs: True --weight tensor(1.4900)  -->grad_value: '
        'tensor(8.7500)\n'
        '!! RuntimeError at line 50: Trying to backward through the graph a second time (or '
        'directly access saved tensors after they have already been freed). Saved intermediate '
        'values of the graph are freed when you call .backward() or autograd.grad(). Specify '
        'retain_graph=True if you need to backward through the graph a second time or if you '
        'need to access saved tensors after calling backward.\n'
    ),
    'ed_twice_fixed': (
        'E-->name: weight -->grad_requirs: True --weight tensor(1.4900)  -->grad_value: '
        'tensor(8.7500)\n'
        'D-->name: weight -->grad_requirs: True --weight tensor(3.4900)  -->grad_value: '
        'tensor(3.5000)\n'
    ),
    'ed_no_second_backward': (
        'E-->name: weight -->grad_requirs: True --weight tensor(1.4900)  -->grad_value: '
        'tensor(8.7500)\n'
        "!! TypeError at line 55: mean(): argument 'input' (position 1) must be Tensor, not "
        'NoneType\n'
    ),
    'ed_no_second_backward_fixed': (
        'E-->name: weight -->grad_requirs: True --weight tensor(1.4900)  -->grad_value: '
        'tensor(8.7500)\n'
        'D-->name: weight -->grad_requirs: True --weight tensor(3.5000)  -->grad_value: '
        'tensor(0.)\n'
    ),
    'ed_once': (
        'E-->name: weight -->grad_requirs: True --weight tensor(1.4900)  -->grad_value: '
        'tensor(8.7500)\n'
        'D-->name: weight -->grad_requirs: True --weight tensor(3.4900)  -->grad_value: '
        'tensor(3.5000)\n'
    ),
    'sgd_param_groups': (
        'SGD (\n'
        'Parameter Group 0\n'
        '    dampening: 0\n'
        '    differentiable: False\n'
        '    foreach: None\n'
        '    fused: None\n'
        '    lr: 0.01\n'
        '    maximize: False\n'
        '    momentum: 0.9\n'
        '    nesterov: False\n'
        '    weight_decay: 0\n'
        '\n'
        'Parameter Group 1\n'
        '    dampening: 0\n'
        '    differentiable: False\n'
        '    foreach: None\n'
        '    fused: None\n'
        '    lr: 0.001\n'
        '    maximize: False\n'
        '    momentum: 0.9\n'
        '    nesterov: False\n'
        '    weight_decay: 0\n'
        ')\n'
        '[0.01, 0.001, 0.5] [0.9, 0.9, 0.9]\n'
    ),
    'save_load': (
        '<All keys matched successfully>\n'
        "['fc.weight', 'fc.bias']\n"
        "['D', 'decoder', 'encoder', 'epoch'] 3 ['weight', 'bias']\n"
        'No checkpoint...\n'
        "['bias', 'weight']\n"
    ),
    'random_split': (
        'Subset 3 7 [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n'
    ),
    'dataloader_cycle': (
        '200 {(10, 10)}\n'
    ),
    'dataloader_iter_fixed': (
        '200 {(10, 10)} torch.int64\n'
    ),
    'misc': (
        'torch.Size([1]) True\n'
        'True\n'
        '[4]\n'
        'tensor([14.7781, 14.7781, 14.7781])\n'
    ),
}


test_notes_output, test_notes_parity = H.notes_tests(SNIPPETS, EXPECTED, RANDOM)
